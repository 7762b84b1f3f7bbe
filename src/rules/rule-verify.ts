import type { RuleSpec, VerifySpec } from '../config/config-types';
import { parseDuration } from '../util/duration';

/** A rule's verification, resolved (docs/rules.md, verify). */
export interface RuleVerify {
  within: string;
  withinMs: number;
  query: string | null;
}

/**
 * The rule's own `verify:`, else `defaults.verify`, else none; none also for `within: 0s` and for
 * rules run `on: resolved` (the alert is already resolved). Pure.
 */
export function ruleVerify(rule: Pick<RuleSpec, 'on' | 'verify'>, defaults: VerifySpec | undefined): RuleVerify | null {
  if (rule.on === 'resolved') return null;
  const v = rule.verify ?? defaults;
  if (v === undefined) return null;
  const withinMs = parseDuration(v.within) ?? 0; // the schema's pattern passed
  if (withinMs <= 0) return null;
  return { within: v.within, withinMs, query: v.query ?? null };
}
