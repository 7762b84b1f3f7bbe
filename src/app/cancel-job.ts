import type { Actor } from '../auth/actor';
import { RuneError } from '../core/errors';
import type { Job } from '../core/job';
import { skippedResult } from '../jobs/skipped-result';
import { requireScope } from './authorize';
import type { AppContext } from './context';
import { findJob } from './find-job';
import { recordAudit } from './record-audit';

export interface CancelOutcome {
  /** `cancelled` at once (it was queued), or `cancelling`: a running job is being stopped. */
  status: 'cancelled' | 'cancelling';
  job_id: string;
  reason: string;
}

/**
 * Cancel (API and dashboard): a queued job becomes `cancelled` at once; a running one is stopped
 * through its transport and ends `cancelled` a moment later (`cancelling`), also when another
 * replica runs it (it is asked through the database). An ended job: JOB_FINISHED.
 */
export function cancelJob(
  ctx: AppContext,
  actor: Actor,
  source: string,
  id: string,
  why: string | null,
  force: boolean,
): CancelOutcome {
  const job = findJob(ctx, id);
  const target = { action: job.request.action, node: job.request.node };
  requireScope(ctx, actor, source, 'POST /api/v1/jobs/:id/cancel', target);
  if (job.status === 'running') return cancelRunning(ctx, actor, source, job, why, force);
  if (job.status !== 'queued') {
    throw new RuneError('JOB_FINISHED', `job ${job.id} already ended ${job.status}; nothing to cancel`, {
      status: job.status,
    });
  }
  const at = ctx.now();
  const reason = `cancelled: by ${actor.name}${why ? `: ${why}` : ''}`;
  const result = skippedResult(job, reason, at, 'cancelled');
  // Only while still queued: another replica sharing the database may have started it meanwhile.
  if (!ctx.store.finishQueued(job.id, 'cancelled', result, reason, at.toISOString())) {
    const now = ctx.store.getJob(job.id) ?? job;
    if (now.status === 'running') return cancelRunning(ctx, actor, source, now, why, force);
    throw new RuneError('JOB_FINISHED', `job ${job.id} already ended ${now.status}; nothing to cancel`, {
      status: now.status,
    });
  }
  recordAudit(ctx, { actor: actor.name, source }, 'cancel', `${target.action} on ${target.node}`, {
    job_id: job.id,
    reason: why,
  });
  ctx.log.info({ job_id: job.id, trace_id: job.traceId, actor: actor.name, node: target.node }, `job ${reason}`);
  const cancelled: Job = { ...job, status: 'cancelled', reason, result, finishedAt: at.toISOString() };
  ctx.queue.drop([job.id]);
  ctx.queue.add([cancelled]); // reported like a resolve's cancellation
  return { status: 'cancelled', job_id: job.id, reason };
}

/**
 * A running job is stopped through its transport (TERM, KILL after the grace; docs/safety.md).
 * Stopping a mutating action half-way can leave the node worse than either end state: that needs
 * `force`.
 */
function cancelRunning(
  ctx: AppContext,
  actor: Actor,
  source: string,
  job: Job,
  why: string | null,
  force: boolean,
): CancelOutcome {
  const { action, node } = job.request;
  if (job.mutating && !force) {
    throw new RuneError(
      'JOB_RUNNING',
      `job ${job.id} is running ${action}, which changes the node; stopping it half-way can leave ${node} ` +
        'worse than either end state. Send "force": true (rune jobs cancel --force) to stop it anyway',
      { job_id: job.id, started_at: job.startedAt, mutating: true },
    );
  }
  const reason = `cancelled: by ${actor.name}${why ? `: ${why}` : ''}`;
  // Running here, or on another replica of a shared database, which is asked through it.
  if (!ctx.queue.abort(job.id, reason) && !(ctx.store.shared && ctx.store.requestCancel(job.id, reason))) {
    throw new RuneError(
      'JOB_RUNNING',
      `job ${job.id} is not running in this RUNE process (it may have just ended, or runs in another ` +
        'replica); nothing was stopped',
      { job_id: job.id },
    );
  }
  const details = { job_id: job.id, reason: why, running: true, ...(job.mutating ? { force: true } : {}) };
  recordAudit(ctx, { actor: actor.name, source }, 'cancel', `${action} on ${node}`, details);
  ctx.log.info({ job_id: job.id, trace_id: job.traceId, actor: actor.name, node }, `running job ${reason}`);
  return { status: 'cancelling', job_id: job.id, reason };
}
