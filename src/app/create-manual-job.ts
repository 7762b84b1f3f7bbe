import type { Job, JobRequest } from '../core/job';
import { alertRef } from '../core/alert-ref';
import type { IncidentRef, Trigger } from '../core/types';
import { planRun } from '../orchestrator/plan-run';
import type { AppContext } from './context';

/** Where a manual run came from, beyond its actor: an older job (retry) or an incident's button. */
export interface ManualOrigin {
  retryOf?: Job;
  fromIncident?: { incident: IncidentRef; notify: string[] };
}

/**
 * A run asked for by hand (API, dashboard, incident action, retry): planned now, so a bad action,
 * node or params is refused at once (400) instead of failing later, then stored and queued.
 * No guards: they are for automatic runs (docs/safety.md).
 */
export function createManualJob(ctx: AppContext, actor: string, request: JobRequest, origin: ManualOrigin = {}): Job {
  const { retryOf, fromIncident } = origin;
  const rt = ctx.runtime();
  const id = ctx.newId();
  const traceId = ctx.newTraceId();
  const trigger: Trigger = fromIncident
    ? { kind: 'manual', source: 'pagerduty', actor, incident: fromIncident.incident }
    : {
        kind: 'api',
        actor,
        ...(retryOf?.trigger.rule ? { rule: retryOf.trigger.rule } : {}),
        ...(retryOf?.incident ? { incident: retryOf.incident } : {}),
      };
  const alert = retryOf?.alert ? alertRef(retryOf.alert) : null; // a templated instance_id renders from it
  const plan = planRun({ ...request, trigger, alert, jobId: id, traceId }, rt.registry, rt.config, {
    fallbackUser: ctx.fallbackUser,
  });
  // Stored on the node as the inventory names it (docs/safety.md, Node identity), the asked spelling beside it.
  const node = plan.target.node;
  const asked = request.askedNode ?? request.node;
  const stored = { ...request, node, ...(asked !== node ? { askedNode: asked } : {}) };
  if (asked === node) delete stored.askedNode;
  const [job] = ctx.store.createJobs([
    {
      id,
      traceId,
      request: stored,
      trigger,
      alert: retryOf?.alert ?? null,
      incident: fromIncident?.incident ?? retryOf?.incident ?? null,
      chainId: null,
      step: 0,
      after: null,
      stopOnFailureOf: true,
      notify: fromIncident?.notify ?? retryOf?.notify ?? [],
      mutating: plan.plugin.mutating,
      createdAt: ctx.now().toISOString(),
    },
  ]).jobs as [Job];
  ctx.queue.add([job]);
  return job;
}
