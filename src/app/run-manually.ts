import type { Actor } from '../auth/actor';
import type { Job } from '../core/job';
import { requireScope } from './authorize';
import { requireAccepting, type AppContext } from './context';
import { createManualJob } from './create-manual-job';
import { refuseWhilePaused } from './pause';
import { recordAudit } from './record-audit';

/** POST /api/v1/jobs: what an operator asks to run. */
export interface ManualRunInput {
  action: string;
  node: string;
  params?: Record<string, unknown>;
  dryRun?: boolean;
  reason?: string;
  whilePaused?: boolean;
}

/** A manual run by an operator: scope-checked, refused while paused unless asked, audited, queued. */
export function runManually(ctx: AppContext, actor: Actor, source: string, input: ManualRunInput): Job {
  requireAccepting(ctx);
  // The scope is checked on the node as the inventory names it: its address is no way around `nodes=`.
  const node = ctx.runtime().canonicalNode(input.node);
  requireScope(ctx, actor, source, 'POST /api/v1/jobs', { action: input.action, node });
  refuseWhilePaused(ctx, input.whilePaused === true);
  const job = createManualJob(ctx, actor.name, {
    action: input.action,
    node: input.node,
    params: input.params ?? {},
    dryRun: input.dryRun === true || ctx.dryRun,
    pluginDryRun: false,
  });
  const target = `${job.request.action} on ${job.request.node}`;
  recordAudit(ctx, { actor: actor.name, source }, 'run', target, { job_id: job.id, reason: input.reason ?? null });
  return job;
}
