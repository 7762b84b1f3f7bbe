import type { Actor } from '../auth/actor';
import { RuneError } from '../core/errors';
import type { Job } from '../core/job';
import { requireScope } from './authorize';
import type { AppContext } from './context';
import { findJob } from './find-job';
import { recordAudit } from './record-audit';

/**
 * An operator has checked the node and releases it from a run of unknown outcome (docs/safety.md,
 * Outcome unknown): the next mutating job may start there at once. Audited, with the reason.
 */
export function releaseNode(
  ctx: AppContext,
  actor: Actor,
  source: string,
  id: string,
  reason: string | null,
): { job: Job; node: string } {
  const job = findJob(ctx, id);
  const { action, node } = job.request;
  requireScope(ctx, actor, source, 'POST /api/v1/jobs/:id/release', { action, node });
  const holds =
    job.status === 'outcome_unknown' && job.lockUntil !== null && Date.parse(job.lockUntil) > ctx.now().getTime();
  if (!holds || !ctx.store.releaseHeldNode(job.id)) {
    const why =
      job.status === 'outcome_unknown'
        ? 'its hold on the node has already ended'
        : `it ${job.status === 'running' ? 'is running' : `ended ${job.status}`}`;
    throw new RuneError('NOTHING_HELD', `job ${job.id} holds no node: ${why}`, { status: job.status });
  }
  ctx.queue.releaseHeld(job.id);
  recordAudit(ctx, { actor: actor.name, source }, 'release', `${action} on ${node}`, {
    job_id: job.id,
    held_until: job.lockUntil,
    reason,
  });
  ctx.log.warn(
    { job_id: job.id, actor: actor.name, node, reason },
    `node ${node} released from a run of unknown outcome`,
  );
  return { job: ctx.store.getJob(job.id) ?? job, node };
}
