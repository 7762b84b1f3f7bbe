import type { BreakerState } from '../guards/types';

export interface MetricsFacts {
  paused: boolean;
  breakers: BreakerState[];
  counters: { suppressed: Record<string, number>; breaker_opened: Record<string, number> };
  jobsRunning: number;
  jobsWaiting: number;
}

/** A label value in the exposition format: backslash, quote and newline escaped. */
function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * The guard and queue state in Prometheus' text exposition format (version 0.0.4), `rune_`
 * prefix. The few series issue #5 asks for; issue #7 brings the full set.
 */
export function renderMetrics(f: MetricsFacts): string {
  const lines: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge', help: string, samples: [Record<string, string>, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${label(v)}"`).join(',');
      lines.push(`${name}${l ? `{${l}}` : ''} ${value}`);
    }
  };
  family('rune_paused', 'gauge', 'Whether automatic runs are paused (rune pause).', [[{}, f.paused ? 1 : 0]]);
  family('rune_breaker_open', 'gauge', 'Whether a rule\'s circuit breaker is open (1), half-open (0.5) or closed (0).', f.breakers.map((b) => [{ rule: b.rule }, b.state === 'open' ? 1 : b.state === 'half_open' ? 0.5 : 0]));
  family('rune_breaker_opened_total', 'counter', 'Times a rule\'s circuit breaker opened since start.', Object.entries(f.counters.breaker_opened).map(([rule, n]) => [{ rule }, n]));
  family('rune_guard_suppressed_total', 'counter', 'Automatic runs suppressed (skipped or cancelled) by a guard since start, by reason.', Object.entries(f.counters.suppressed).map(([reason, n]) => [{ reason }, n]));
  family('rune_jobs_running', 'gauge', 'Jobs running now.', [[{}, f.jobsRunning]]);
  family('rune_jobs_waiting', 'gauge', 'Queued jobs waiting for a slot, their previous step or their node.', [[{}, f.jobsWaiting]]);
  return `${lines.join('\n')}\n`;
}
