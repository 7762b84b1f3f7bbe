import type { Job } from '../core/job';
import type { Logger } from '../core/logger';
import type { RetryOptions } from '../reporters/request-with-retry';
import { sendTriggerEvent } from '../reporters/pagerduty-events';
import { jobUrl } from '../reporters/render-note';
import type { RuleEscalate } from '../rules/rule-verify';
import type { Store } from '../store/store';
import type { RuneMetrics } from './create-metrics';

/** Where escalations go: RUNE_PAGERDUTY_EVENTS_URL and the routing key (a secret); null: not configured. */
export interface EscalationTarget {
  eventsUrl: string;
  routingKey: string | null;
  /** fetch and retry limits (tests). */
  retry?: RetryOptions;
}

export type EscalationReason = 'failed' | 'not_fixed' | 'breaker_open';

export interface EscalatorDeps {
  store: Store;
  log: Logger;
  metrics: RuneMetrics;
  now(): Date;
  publicUrl: string;
  target: EscalationTarget;
  /** The rule's escalation of the moment (null: none, or the rule is gone). */
  escalateOf(rule: string): RuleEscalate | null;
}

/**
 * Pages a person when automation did not fix it (docs/rules.md, escalate): a PagerDuty Events API
 * v2 trigger with the job link. The delivery is stored with the job (its timeline shows it) and counted.
 */
export interface Escalator {
  escalate(job: Job, reason: EscalationReason, summary: string, dedupKey: string): Promise<void>;
}

export function createEscalator(deps: EscalatorDeps): Escalator {
  return {
    async escalate(job, reason, summary, dedupKey) {
      const rule = job.trigger.rule;
      if (!rule || job.request.dryRun) return;
      const spec = deps.escalateOf(rule);
      if (!spec || !spec.on.has(reason)) return;
      const fields = { rule, job_id: job.id, trace_id: job.traceId, reason };
      const key = deps.target.routingKey;
      const delivery = key
        ? await sendTriggerEvent(
            {
              dedupKey,
              summary,
              source: job.request.node,
              severity: spec.severity,
              component: job.request.action,
              group: rule,
              link: jobUrl(job.id, deps.publicUrl),
              details: { reason, rule, job: job.id, labels: job.alert?.labels ?? {} },
            },
            { ...deps.target.retry, baseUrl: deps.target.eventsUrl, routingKey: key },
            deps.now,
          )
        : {
            reporter: 'pagerduty-events',
            ok: false,
            status: null,
            attempts: 0,
            target: dedupKey,
            error: 'no RUNE_PAGERDUTY_ROUTING_KEY: not escalated',
            at: deps.now().toISOString(),
          };
      deps.store.addDelivery(job.id, delivery);
      deps.metrics.escalation(rule, reason, delivery.ok);
      if (delivery.ok) deps.log.warn(fields, `escalated to PagerDuty (${reason}): ${summary}`);
      else deps.log.error({ ...fields, error: delivery.error }, `cannot escalate (${reason}): ${summary}`);
    },
  };
}
