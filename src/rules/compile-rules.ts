import type { NotifierName, RuleSpec } from '../config/config-types';
import { RuneError } from '../core/errors';
import { compileParams, type CompiledValue } from '../config/compile-params';
import { parseMatcher, type Matcher } from '../config/parse-matcher';
import { parseTemplate, type Template } from '../config/parse-template';

/** The node a rule runs on when it names none: Prometheus' `instance` label without its port. */
export const DEFAULT_NODE_TEMPLATE = '{{ labels.instance | hostname }}';

export interface CompiledStep {
  action: string;
  params: CompiledValue;
  continueOnError: boolean;
}

/** A rule with its matchers and templates parsed once and its defaults applied. */
export interface CompiledRule {
  name: string;
  on: 'firing' | 'resolved';
  matchers: Matcher[];
  node: Template;
  steps: CompiledStep[];
  notify: NotifierName[];
}

/**
 * Parses every matcher and template of validated rules. validateConfig has already proved they
 * parse, so a failure here is a fault in RUNE (an unvalidated config) and throws CONFIG_INVALID.
 */
export function compileRules(rules: readonly RuleSpec[]): CompiledRule[] {
  return rules.map((rule): CompiledRule => {
    const fail = (what: string, reason: string): never => {
      throw new RuneError('CONFIG_INVALID', `rule "${rule.name}": ${what}: ${reason}`, { rule: rule.name });
    };
    const matchers = rule.matchers.map((text) => {
      const parsed = parseMatcher(text);
      return parsed.ok
        ? parsed.matcher
        : fail(`matcher ${JSON.stringify(text)}`, `column ${parsed.column}: ${parsed.reason}`);
    });
    const nodeSource = rule.node ?? DEFAULT_NODE_TEMPLATE;
    const node = parseTemplate(nodeSource);
    if (!node.ok) return fail('node', `column ${node.column}: ${node.reason}`);
    const steps = rule.steps.map((step, i): CompiledStep => {
      const { compiled, errors } = compileParams(step.params ?? {});
      const first = errors[0];
      if (first) fail(`steps[${i}].params`, `column ${first.column}: ${first.reason}`);
      return { action: step.action, params: compiled, continueOnError: step.continue_on_error ?? false };
    });
    return {
      name: rule.name,
      on: rule.on ?? 'firing',
      matchers,
      node: node.template,
      steps,
      notify: [...(rule.notify ?? [])],
    };
  });
}
