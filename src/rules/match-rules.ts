import type { Alert, Invocation } from '../core/types';
import type { CompiledRule } from './compile-rules';
import { renderParams } from '../config/compile-params';
import { matchesLabels } from './matches-labels';
import { renderTemplate } from '../config/render-template';

/** A rule that matched but could not be turned into invocations; the caller records it in history. */
export interface RuleProblem {
  rule: string;
  message: string;
}

export interface MatchOutcome {
  invocations: Invocation[];
  problems: RuleProblem[];
}

/**
 * The rule engine (docs/architecture.md, Data flow): every rule whose `on` equals the alert's status and whose
 * matchers all match its labels gives one Invocation per step, in order, with node and params
 * rendered for this alert. Pure. A firing rule never runs for a resolved alert.
 *
 * A rule whose node renders empty (e.g. the alert has no `instance` label) gives no invocations
 * and one problem instead: running with node "" could only fail later, further from the cause.
 */
export function matchRules(rules: readonly CompiledRule[], alert: Alert): MatchOutcome {
  const invocations: Invocation[] = [];
  const problems: RuleProblem[] = [];
  for (const rule of rules) {
    if (rule.on !== alert.status || !matchesLabels(rule.matchers, alert.labels)) continue;
    const node = renderTemplate(rule.node, alert);
    if (node.trim() === '') {
      problems.push({
        rule: rule.name,
        message:
          `node template ${JSON.stringify(rule.node.source)} rendered empty for alert ${alert.fingerprint} ` +
          '(is the label missing?); nothing was run',
      });
      continue;
    }
    rule.steps.forEach((step, i) => {
      invocations.push({
        rule: rule.name,
        step: i,
        action: step.action,
        node,
        params: renderParams(step.params, alert) as Record<string, unknown>,
        continueOnError: step.continueOnError,
        notify: [...rule.notify],
        alert,
      });
    });
  }
  return { invocations, problems };
}
