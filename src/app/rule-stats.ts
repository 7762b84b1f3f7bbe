import type { JobStatus } from '../core/types';
import type { AppContext } from './context';

/** How well one rule works (docs/api.md, GET /api/v1/rules/stats). */
export interface RuleStats {
  rule: string;
  /** Automatic rule runs created in the window. */
  runs: number;
  /** Of those: refused or cancelled before any step ran (guards, a resolve). */
  not_run: number;
  succeeded: number;
  failed: number;
  /** Still queued or running. */
  in_progress: number;
  /** Verifications started in the window (verify:), by verdict. */
  verified: number;
  not_fixed: number;
  verifying: number;
  /** verified / (verified + not_fixed); null before any verdict. */
  fixed_rate: number | null;
  /** Median seconds from the end of a verified run to its alert's resolve; null without one. */
  median_resolve_seconds: number | null;
}

const FAILED: ReadonlySet<JobStatus> = new Set(['failed', 'timed_out', 'interrupted', 'outcome_unknown']);

/** What one run's step statuses (in order) add up to. */
export function runOutcome(statuses: readonly JobStatus[]): 'not_run' | 'succeeded' | 'failed' | 'in_progress' {
  if (statuses.some((s) => s === 'queued' || s === 'running')) return 'in_progress';
  if (statuses.every((s) => s === 'skipped' || s === 'cancelled')) return 'not_run';
  if (statuses[statuses.length - 1] === 'succeeded') return 'succeeded';
  return statuses.some((s) => FAILED.has(s)) ? 'failed' : 'not_run';
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/**
 * Effectiveness per rule since `sinceMs` (epoch ms): runs and their outcomes from the jobs, verdicts
 * and time to resolve from the verifications. Every configured rule is listed, also without runs;
 * rules removed since still appear while their runs are in the window.
 */
export function ruleStats(ctx: Pick<AppContext, 'store' | 'runtime'>, sinceMs: number): RuleStats[] {
  const since = new Date(sinceMs).toISOString();
  const stats = new Map<string, RuleStats>();
  const of = (rule: string): RuleStats => {
    let s = stats.get(rule);
    if (!s) {
      s = {
        rule,
        runs: 0,
        not_run: 0,
        succeeded: 0,
        failed: 0,
        in_progress: 0,
        verified: 0,
        not_fixed: 0,
        verifying: 0,
        fixed_rate: null,
        median_resolve_seconds: null,
      };
      stats.set(rule, s);
    }
    return s;
  };
  for (const r of ctx.runtime().config.rules) of(r.name);
  for (const run of ctx.store.ruleRuns(since)) {
    const s = of(run.rule);
    s.runs++;
    s[runOutcome(run.statuses)]++;
  }
  const resolveSeconds = new Map<string, number[]>();
  for (const v of ctx.store.listVerifications(since)) {
    const s = of(v.rule);
    if (v.status === 'pending') s.verifying++;
    else s[v.status]++;
    if (v.status === 'verified' && v.resolvedAt)
      resolveSeconds.set(v.rule, [
        ...(resolveSeconds.get(v.rule) ?? []),
        Math.max(0, Date.parse(v.resolvedAt) - Date.parse(v.startedAt)) / 1000,
      ]);
  }
  for (const s of stats.values()) {
    const decided = s.verified + s.not_fixed;
    s.fixed_rate = decided === 0 ? null : s.verified / decided;
    s.median_resolve_seconds = median(resolveSeconds.get(s.rule) ?? []);
  }
  return [...stats.values()].sort((a, b) => a.rule.localeCompare(b.rule));
}
