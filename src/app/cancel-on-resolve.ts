import type { Alert } from '../core/types';
import type { Job } from '../core/job';
import { skippedResult } from '../jobs/skipped-result';
import { rfc3339Instant } from '../util/rfc3339-instant';
import type { AppContext } from './context';

/**
 * A resolve cancels the queued runs of that alert's firing episode(s) (docs/architecture.md, Safety
 * guards): they are stored as cancelled with reason `resolved: …`, forgotten by the queue and
 * reported. Returns the ids of the jobs cancelled or being stopped.
 */
export function cancelOnResolve(ctx: AppContext, alerts: readonly Alert[]): string[] {
  const cancelled: Job[] = [];
  const stopped: string[] = [];
  for (const a of alerts) {
    if (a.status !== 'resolved') continue;
    const at = ctx.now();
    const when = a.endsAt ? ` at ${a.endsAt}` : '';
    const reason = `resolved: alert ${a.fingerprint} resolved${when} before its run started`;
    // Only that episode's runs: an old resolve re-sent after the alert fired again must not
    // cancel the new episode's run (bench/storm found it).
    const jobs = ctx.store.cancelQueuedForAlert(a.fingerprint, a.startsAt, reason, at.toISOString(), (j) =>
      skippedResult(j, reason, at, 'cancelled'),
    );
    for (const j of jobs) {
      ctx.counters.suppressed(reason);
      const fields = { job_id: j.id, trace_id: j.traceId, rule: j.trigger.rule ?? null, node: j.request.node };
      ctx.log.info({ ...fields, fingerprint: a.fingerprint }, `job cancelled: ${reason}`);
    }
    cancelled.push(...jobs);
    stopped.push(...stopRunningOnResolve(ctx, a, at));
  }
  if (cancelled.length) {
    ctx.queue.drop(cancelled.map((j) => j.id));
    ctx.queue.add(cancelled); // reported, one note per rule run
  }
  return [...cancelled.map((j) => j.id), ...stopped];
}

/**
 * cancel_running_on_resolve (docs/safety.md): the resolved episode's running read-only steps of
 * rules that ask for it are stopped; they end `cancelled` (the queue records and reports them).
 * Mutating steps always run to their end: stopping one half-way could leave the node worse.
 */
function stopRunningOnResolve(ctx: AppContext, a: Alert, at: Date): string[] {
  const rt = ctx.runtime();
  const stopped: string[] = [];
  for (const j of ctx.queue.runningJobs()) {
    const rule = j.trigger.rule;
    if (j.trigger.kind !== 'alert' || !rule || j.mutating || !j.alert) continue;
    if (j.alert.fingerprint !== a.fingerprint || rfc3339Instant(j.alert.startsAt) !== rfc3339Instant(a.startsAt)) {
      continue;
    }
    if (!rt.guards.get(rule)?.cancelRunningOnResolve) continue;
    const when = a.endsAt ? ` at ${a.endsAt}` : '';
    const reason =
      `resolved: alert ${a.fingerprint} resolved${when} while ${j.request.action} ran ` + '(cancel_running_on_resolve)';
    if (ctx.queue.abort(j.id, reason)) {
      stopped.push(j.id);
      ctx.counters.suppressed(reason);
      const fields = { job_id: j.id, trace_id: j.traceId, rule, node: j.request.node, fingerprint: a.fingerprint };
      ctx.log.info({ ...fields, at: at.toISOString() }, `running job cancelled: ${reason}`);
    }
  }
  return stopped;
}
