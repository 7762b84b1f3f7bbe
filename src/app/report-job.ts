import type { Job } from '../core/job';
import type { Logger } from '../core/logger';
import type { Result } from '../core/types';
import type { GuardCounters } from '../guards/guard-counters';
import { nextBreakerState } from '../guards/next-breaker-state';
import type { RuleGuards } from '../guards/types';
import type { Reporter } from '../reporters/reporter';
import type { Store } from '../store/store';
import type { RuneMetrics } from './create-metrics';

export interface ReportingDeps {
  store: Store;
  log: Logger;
  metrics: RuneMetrics;
  counters: GuardCounters;
  now(): Date;
  /** The notifiers of rules.yaml `notify:` of the moment (a reload replaces them). */
  reporters(): ReadonlyMap<string, Reporter>;
  /** A rule's guards of the moment; undefined for a rule removed by a reload since the run started. */
  guards(rule: string): RuleGuards | undefined;
  /** A rule's breaker opened on this job's run (`at`: epoch ms), e.g. to escalate (docs/rules.md, escalate). */
  breakerOpened?(job: Job, text: string, at: number): void;
}

/** What the queue calls when a job ends: the Result is logged, counted and noted; rule runs feed the breaker. */
export interface Reporting {
  report(job: Job, result: Result): Promise<void>;
  /** A follow-up note on the job's incident (a verification's verdict): delivered and stored like a report. */
  followUp(job: Job, result: Result): Promise<void>;
  ruleRunEnded(job: Job, result: Result, ok: boolean): void;
}

export function createReporting(deps: ReportingDeps): Reporting {
  /** One Result to each of the job's notifiers, each delivery stored with the job; never throws. */
  const deliver = async (job: Job, result: Result, what: 'report' | 'breaker note' | 'follow-up note') => {
    for (const name of job.notify) {
      const reporter = deps.reporters().get(name);
      if (!reporter && what !== 'report') continue; // the job's own report already said so
      const delivery = reporter
        ? await reporter.report(result, { alert: job.alert, incident: job.incident })
        : {
            reporter: name,
            ok: false,
            status: null,
            attempts: 0,
            target: null,
            error: `notifier "${name}" is not configured under notify:`,
            at: deps.now().toISOString(),
          };
      deps.store.addDelivery(job.id, delivery);
      deps.metrics.note(name, delivery.ok);
      if (!delivery.ok) {
        const fields = { job_id: job.id, trace_id: job.traceId, reporter: name, error: delivery.error };
        deps.log.warn(fields, `${what} not delivered`);
      }
    }
  };

  return {
    async report(job, result) {
      const fields = {
        job_id: job.id,
        trace_id: job.traceId,
        rule: job.trigger.rule ?? null,
        action: result.action,
        node: result.node,
        status: result.status,
        duration_ms: result.duration_ms,
        error: result.error?.code ?? null,
      };
      if (result.status === 'succeeded' || result.status === 'skipped') {
        deps.log.info(fields, `job ${result.status}: ${result.summary}`);
      } else {
        deps.log.warn(fields, `job ${result.status}: ${result.summary}`);
      }
      deps.metrics.jobFinished(result, { planOnly: job.request.dryRun });
      await deliver(job, result, 'report');
    },

    followUp: (job, result) => deliver(job, result, 'follow-up note'),

    /**
     * The circuit breaker counts rule runs (docs/safety.md): when one opens, the log says so, the
     * counter moves, and the failing job's notifiers get a note on its incident.
     */
    ruleRunEnded(job, result, ok) {
      const rule = job.trigger.rule as string;
      const g = deps.guards(rule);
      if (!g) return; // removed by a reload since the run started
      // Refused before any node was contacted (UNKNOWN_NODE, INVALID_PARAMS: the alert's fault, not
      // the remedy's): such a run says nothing about whether the rule works, so it neither counts nor resets.
      if (!ok && result.error?.stage === 'validate') return;
      const at = deps.now().getTime();
      let change: ReturnType<typeof nextBreakerState> | undefined;
      deps.store.updateBreaker(rule, (current) => {
        const run = {
          chainId: job.chainId ?? job.id,
          ok,
          summary: `${result.action} on ${result.node}: ${result.summary}`,
        };
        change = nextBreakerState(current, run, g.breaker.failures, at);
        return change.next;
      });
      const trace = { rule, job_id: job.id, trace_id: job.traceId };
      if (change?.closed) deps.log.info(trace, `circuit breaker of rule ${rule} closed: the probe run succeeded`);
      if (!change?.opened) return;
      const until = new Date(at + g.breaker.probeAfterMs).toISOString();
      const text =
        `circuit breaker OPEN for rule ${rule}: ${change.next.failures} failed runs in a row ` +
        `(last: ${result.summary}); ` +
        `its alerts are skipped (breaker_open) until an operator closes it (rune breaker close ${rule}) ` +
        `or a probe run after ${until} succeeds`;
      deps.counters.breakerOpened(rule);
      deps.log.warn({ ...trace, failures: change.next.failures, probe_after: until }, text);
      deliver(job, { ...result, summary: text, error: null }, 'breaker note').catch((err: unknown) =>
        deps.log.error({ err, ...trace }, 'cannot post the breaker note'),
      );
      deps.breakerOpened?.(job, text, at);
    },
  };
}
