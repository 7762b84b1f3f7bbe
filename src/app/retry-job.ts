import type { Actor } from '../auth/actor';
import type { Job } from '../core/job';
import { requireScope } from './authorize';
import { requireAccepting, type AppContext } from './context';
import { createManualJob } from './create-manual-job';
import { findJob } from './find-job';
import { refuseWhilePaused } from './pause';
import { recordAudit } from './record-audit';

export interface RetryOptions {
  whilePaused: boolean;
  reason?: string | null;
  /** Edited params (the dashboard's Re-run form); planRun validates them again. */
  params?: Record<string, unknown>;
  /** Where it was asked (`dashboard`), for the audit record. */
  via?: string;
}

/**
 * A stored job's request again, as a new job reporting to the same incident: the API's retry and
 * the dashboard's Re-run. Scope-checked here, whatever the caller's UI showed.
 */
export function retryJob(
  ctx: AppContext,
  actor: Actor,
  source: string,
  id: string,
  o: RetryOptions,
): { job: Job; old: Job } {
  requireAccepting(ctx);
  const old = findJob(ctx, id);
  const target = { action: old.request.action, node: old.request.node };
  requireScope(ctx, actor, source, 'POST /api/v1/jobs/:id/retry', target);
  refuseWhilePaused(ctx, o.whilePaused);
  const request = {
    ...old.request,
    ...(o.params ? { params: o.params } : {}),
    dryRun: old.request.dryRun || ctx.dryRun,
  };
  const job = createManualJob(ctx, actor.name, request, { retryOf: old });
  const details = {
    job_id: job.id,
    retry_of: old.id,
    reason: o.reason ?? null,
    ...(o.via ? { via: o.via } : {}),
    ...(o.params ? { params: o.params } : {}),
  };
  recordAudit(ctx, { actor: actor.name, source }, 'retry', `${job.request.action} on ${job.request.node}`, details);
  return { job, old };
}
