import type { EscalateSpec, RuleSpec, SilenceSpec, VerifySpec } from '../config/config-types';
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

/** A rule's silence while it repairs, resolved (docs/rules.md, silence). */
export interface RuleSilence {
  during: 'run' | 'until_verified';
  max: string;
  maxMs: number;
}

/** The rule's own `silence:`, else `defaults.silence`, else none; none for `on: resolved` rules. Pure. */
export function ruleSilence(
  rule: Pick<RuleSpec, 'on' | 'silence'>,
  defaults: SilenceSpec | undefined,
): RuleSilence | null {
  if (rule.on === 'resolved') return null;
  const s = rule.silence ?? defaults;
  if (s === undefined) return null;
  const maxMs = parseDuration(s.max) ?? 0;
  if (maxMs <= 0) return null;
  return { during: s.during ?? 'run', max: s.max, maxMs };
}

/** A rule's escalation, resolved (docs/rules.md, escalate). */
export interface RuleEscalate {
  on: ReadonlySet<'failed' | 'not_fixed' | 'breaker_open'>;
  severity: 'critical' | 'error' | 'warning' | 'info';
}

/** The rule's own `escalate:`, else `defaults.escalate`, else none. Pure. */
export function ruleEscalate(
  rule: Pick<RuleSpec, 'escalate'>,
  defaults: EscalateSpec | undefined,
): RuleEscalate | null {
  const e = rule.escalate ?? defaults;
  if (e === undefined) return null;
  return { on: new Set(e.on ?? ['failed', 'not_fixed', 'breaker_open']), severity: e.severity ?? 'error' };
}
