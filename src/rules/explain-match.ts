import type { Alert } from '../core/types';
import type { CompiledRule } from './compile-rules';
import { labelValue, matcherMatches } from './matches-labels';
import type { MatchOp } from '../config/parse-matcher';

/** One matcher of a rule against one alert: what it wanted, what the label held, and the verdict. */
export interface MatcherVerdict {
  /** The matcher as written in rules.yaml. */
  matcher: string;
  label: string;
  op: MatchOp;
  expected: string;
  /** The label's value; null when the alert has no such label (it then matches as ""). */
  actual: string | null;
  pass: boolean;
}

/** Why a rule does or does not run for an alert (`rune rules test`). */
export interface RuleMatchExplanation {
  rule: string;
  /** The rule's `on:` and whether it equals the alert's status. */
  on: 'firing' | 'resolved';
  statusOk: boolean;
  matchers: MatcherVerdict[];
  /** True exactly when matchRules gives this rule's steps for this alert (node rendering aside). */
  matched: boolean;
}

/**
 * Every rule's verdict for one alert, matcher by matcher, in file order. Pure. Uses the matcher
 * code of the rule engine itself (matcherMatches), so it cannot disagree with what the service does;
 * unlike matchRules it evaluates every matcher instead of stopping at the first that fails.
 */
export function explainMatch(
  rules: readonly CompiledRule[],
  alert: Pick<Alert, 'status' | 'labels'>,
): RuleMatchExplanation[] {
  return rules.map((rule) => {
    const matchers = rule.matchers.map((m): MatcherVerdict => ({
      matcher: m.text,
      label: m.name,
      op: m.op,
      expected: m.value,
      actual: labelValue(alert.labels, m.name) ?? null,
      pass: matcherMatches(m, alert.labels),
    }));
    const statusOk = rule.on === alert.status;
    return { rule: rule.name, on: rule.on, statusOk, matchers, matched: statusOk && matchers.every((m) => m.pass) };
  });
}
