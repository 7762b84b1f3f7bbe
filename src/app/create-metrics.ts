import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { reasonPrefix } from '../guards/guard-counters';
import type { BreakerState } from '../core/guard-state';

/** Where the gauges read their value at scrape time (set once the parts exist). */
export interface MetricsSources {
  paused: () => boolean;
  /** Every rule's breaker: the stored ones, and closed for configured rules that never failed. */
  breakers: () => BreakerState[];
  jobsRunning: () => number;
  jobsWaiting: () => number;
  /** Open SSH connections in the pool; null without an SSH transport. */
  sshPoolSize: () => number | null;
  /** False while shutting down (then /-/ready answers 503). */
  ready: () => boolean;
}

/**
 * The Prometheus metrics of `rune serve` (docs/observability.md), on a registry of their own so
 * that several apps (tests) never share or double-register series. One object is created per
 * server and passed to the parts that count; gauges read their sources when scraped.
 */
export interface RuneMetrics {
  registry: Registry;
  /**
   * One webhook delivery answered: source alertmanager | pagerduty | …, outcome accepted | duplicate |
   * unauthorized | ….
   */
  webhook(source: string, outcome: string): void;
  /** An alert matched a rule (once per alert and rule, however many steps). */
  ruleMatched(rule: string): void;
  /**
   * A job finished: status from its Result; duration observed for jobs that ran. A RUNE dry run
   * (`planOnly`: the plan was made, no node contacted) counts under transport `none`.
   */
  jobFinished(
    r: { action: string; status: string; transport: string | null; duration_ms: number },
    o?: { planOnly: boolean },
  ): void;
  /** A guard refused or cancelled a run; the label is the reason's prefix (cooldown, budget, …). */
  guardDecision(reason: string): void;
  breakerOpened(rule: string): void;
  /** A note (one Result to one notifier) delivered or failed. */
  note(reporter: string, ok: boolean): void;
  /** A succeeded rule run's verification started (docs/rules.md, verify). */
  verificationStarted(rule: string): void;
  /** Its verdict; `resolvedAfterS`: seconds from the run's end to the resolve (verified only). */
  verificationFinished(rule: string, outcome: 'verified' | 'not_fixed', resolvedAfterS: number | null): void;
  /** An escalation to PagerDuty (docs/rules.md, escalate) was delivered or failed. */
  escalation(rule: string, reason: string, ok: boolean): void;
  setSources(s: MetricsSources): void;
  /** The exposition text and its content type. */
  render(): Promise<{ contentType: string; text: string }>;
}

/** Job statuses that mean nothing ran: no duration to observe. */
const NOT_RUN = new Set(['skipped', 'cancelled', 'interrupted']);

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): RuneMetrics {
  const registry = new Registry();
  let sources: MetricsSources | null = null;
  const registers = [registry];
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const webhooks = new Counter({
    name: 'rune_webhooks_received_total',
    help:
      'Webhook deliveries answered, by source and outcome ' +
      '(accepted, duplicate, ignored, pong, unauthorized, bad_request, unavailable, not_found, error).',
    labelNames: ['source', 'outcome'],
    registers,
  });
  const matches = new Counter({
    name: 'rune_rule_matches_total',
    help: 'Alerts that matched a rule, by rule.',
    labelNames: ['rule'],
    registers,
  });
  const jobs = new Counter({
    name: 'rune_jobs_total',
    help:
      'Jobs finished, by action, final status and transport (none for jobs refused before a transport was chosen, ' +
      'and for RUNE dry runs, which contact no node).',
    labelNames: ['action', 'status', 'transport'],
    registers,
  });
  const duration = new Histogram({
    name: 'rune_job_duration_seconds',
    help: 'Run time of jobs that ran (not skipped or cancelled), by action and transport.',
    labelNames: ['action', 'transport'],
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers,
  });
  const guard = new Counter({
    name: 'rune_guard_decisions_total',
    help:
      'Automatic runs a guard skipped or cancelled, by reason (the text before the first colon: ' +
      'cooldown, budget, blast_radius, breaker_open, paused, node_busy, resolved, previous_step_failed, …).',
    labelNames: ['reason'],
    registers,
  });
  const opened = new Counter({
    name: 'rune_breaker_opened_total',
    help: "Times a rule's circuit breaker opened since start.",
    labelNames: ['rule'],
    registers,
  });
  const notes = new Counter({
    name: 'rune_notes_total',
    help: 'Notes (one job result to one notifier) by reporter and outcome (delivered, failed).',
    labelNames: ['reporter', 'outcome'],
    registers,
  });

  const verifications = new Counter({
    name: 'rune_verifications_total',
    help: 'Verifications of succeeded rule runs, by rule and outcome (started, verified, not_fixed).',
    labelNames: ['rule', 'outcome'],
    registers,
  });
  const escalations = new Counter({
    name: 'rune_escalations_total',
    help: 'Escalations to PagerDuty by rule, reason (failed, not_fixed, breaker_open), outcome (delivered, failed).',
    labelNames: ['rule', 'reason', 'outcome'],
    registers,
  });
  const resolveAfter = new Histogram({
    name: 'rune_verification_resolve_seconds',
    help: 'Time from the end of a verified rule run to the resolve of its alert, by rule.',
    labelNames: ['rule'],
    buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
    registers,
  });

  new Gauge({
    name: 'rune_paused',
    help: 'Whether automatic runs are paused (rune pause): 1 or 0.',
    registers,
    collect() {
      if (sources) this.set(sources.paused() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'rune_breaker_open',
    help: "State of a rule's circuit breaker: open 1, half-open 0.5, closed 0.",
    labelNames: ['rule'],
    registers,
    collect() {
      this.reset();
      for (const b of sources?.breakers() ?? [])
        this.set({ rule: b.rule }, b.state === 'open' ? 1 : b.state === 'half_open' ? 0.5 : 0);
    },
  });
  new Gauge({
    name: 'rune_queue_jobs',
    help: 'Jobs in the queue: running now, or waiting for a slot, their previous step or their node.',
    labelNames: ['state'],
    registers,
    collect() {
      if (!sources) return;
      this.set({ state: 'running' }, sources.jobsRunning());
      this.set({ state: 'waiting' }, sources.jobsWaiting());
    },
  });
  new Gauge({
    name: 'rune_ssh_pool_connections',
    help: 'SSH connections open in the pool (reused across runs, closed when idle).',
    registers,
    collect() {
      this.set(sources?.sshPoolSize() ?? 0);
    },
  });
  new Gauge({
    name: 'rune_ready',
    help: 'Whether RUNE accepts work (1), or is shutting down (0); /-/ready answers 503 then.',
    registers,
    collect() {
      if (sources) this.set(sources.ready() ? 1 : 0);
    },
  });

  const transportLabel = (t: string | null) => t ?? 'none';
  return {
    registry,
    webhook: (source, outcome) => webhooks.inc({ source, outcome }),
    ruleMatched: (rule) => matches.inc({ rule }),
    jobFinished(r, o) {
      const transport = o?.planOnly ? 'none' : transportLabel(r.transport);
      jobs.inc({ action: r.action, status: r.status, transport });
      if (NOT_RUN.has(r.status) || o?.planOnly) return;
      duration.observe({ action: r.action, transport }, Math.max(0, r.duration_ms) / 1000);
    },
    guardDecision: (reason) => guard.inc({ reason: reasonPrefix(reason) }),
    breakerOpened: (rule) => opened.inc({ rule }),
    note: (reporter, ok) => notes.inc({ reporter, outcome: ok ? 'delivered' : 'failed' }),
    verificationStarted: (rule) => verifications.inc({ rule, outcome: 'started' }),
    verificationFinished(rule, outcome, resolvedAfterS) {
      verifications.inc({ rule, outcome });
      if (resolvedAfterS !== null) resolveAfter.observe({ rule }, resolvedAfterS);
    },
    escalation: (rule, reason, ok) => escalations.inc({ rule, reason, outcome: ok ? 'delivered' : 'failed' }),
    setSources(s) {
      sources = s;
    },
    async render() {
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
  };
}
