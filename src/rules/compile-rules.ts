import type { NotifierName, RuleSpec, StepSpec } from '../config/config-types';
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
  /** `on_failure:` (the rule's own, else defaults.on_failure): run when the rule run failed. */
  onFailure: CompiledStep[];
  notify: NotifierName[];
}

/** on_failure jobs are numbered from here (step 1001 onwards in a job view), apart from the rule's steps. */
export const ON_FAILURE_STEP_BASE = 1000;

/**
 * Parses every matcher and template of validated rules. validateConfig has already proved they
 * parse, so a failure here is a fault in RUNE (an unvalidated config) and throws CONFIG_INVALID.
 */
export function compileRules(rules: readonly RuleSpec[], defaultOnFailure?: readonly StepSpec[]): CompiledRule[] {
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
    const compileSteps = (list: readonly StepSpec[], key: string) =>
      list.map((step, i): CompiledStep => {
        const { compiled, errors } = compileParams(step.params ?? {});
        const first = errors[0];
        if (first) fail(`${key}[${i}].params`, `column ${first.column}: ${first.reason}`);
        return { action: step.action, params: compiled, continueOnError: step.continue_on_error ?? false };
      });
    const steps = compileSteps(rule.steps, 'steps');
    const onFailure = compileSteps(rule.on_failure ?? defaultOnFailure ?? [], 'on_failure');
    return {
      name: rule.name,
      on: rule.on ?? 'firing',
      matchers,
      node: node.template,
      steps,
      onFailure,
      notify: [...(rule.notify ?? [])],
    };
  });
}
