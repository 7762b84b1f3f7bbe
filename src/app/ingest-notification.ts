import type { Alert, AlertSource } from '../core/types';
import type { AppContext } from './context';
import { cancelOnResolve } from './cancel-on-resolve';
import { ingestAlerts, type IngestOutcome } from './ingest-alerts';
import type { Caller } from './record-audit';

/** What a webhook's alerts became: the 202's body is built from it. */
export type NotificationOutcome = IngestOutcome & { cancelled: string[] };

/** The audit record of the delivery the alerts came in. */
export interface DeliveryAudit extends Caller {
  action: string;
  target: string;
  details: Record<string, unknown>;
}

/**
 * One notification's alerts → a resolve cancels its episode's runs → the rest become stored jobs
 * (with the delivery's audit record and, for replay, the alerts themselves, in one transaction) →
 * the queue. Resolves only once stored: a 202 means "stored, with its guards decided".
 */
export async function ingestNotification(
  ctx: AppContext,
  alerts: Alert[],
  audited: DeliveryAudit,
  received: { source: AlertSource; id: string },
): Promise<NotificationOutcome> {
  const cancelled = cancelOnResolve(ctx, alerts);
  // A resolve ends the verification of its episode's succeeded run (docs/rules.md, verify).
  ctx.verifier.resolved(alerts);
  const rt = ctx.runtime();
  const deps = {
    commit: ctx.commit,
    registry: rt.registry,
    match: rt.match,
    now: () => ctx.now(),
    newId: () => ctx.newId(),
    newTraceId: () => ctx.newTraceId(),
    dryRun: ctx.dryRun,
    guards: (rule: string) => rt.guards.get(rule),
    canonicalNode: rt.canonicalNode,
  };
  const webhook = ctx.recordWebhooks ? { receivedAt: ctx.now().toISOString(), ...received, alerts } : null;
  const outcome = await ingestAlerts(
    alerts,
    deps,
    (planned) => ({
      at: ctx.now().toISOString(),
      ...audited,
      // Jobs of a repeated episode are not created again; the 202 answer says which were duplicates.
      details: {
        ...audited.details,
        alerts: alerts.length,
        candidate_jobs: planned.jobs,
        unmatched: planned.unmatched,
        problems: planned.problems,
      },
    }),
    webhook,
  );
  for (const s of outcome.suppressed) {
    ctx.counters.suppressed(s.reason);
    const traceId = outcome.created.find((j) => j.id === s.jobs[0])?.traceId;
    const fields = { job_id: s.jobs[0], trace_id: traceId, rule: s.rule, node: s.node, fingerprint: s.fingerprint };
    ctx.log.info({ ...fields, jobs: s.jobs }, `rule run skipped: ${s.reason}`);
  }
  ctx.queue.add(outcome.created);
  return { ...outcome, cancelled };
}
