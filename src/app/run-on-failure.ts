import type { Job } from '../core/job';
import { chainJobs } from '../jobs/chain-jobs';
import { ON_FAILURE_STEP_BASE } from '../rules/compile-rules';
import type { AppContext } from './context';

/** True for a job that is an `on_failure:` step (its run's outcome is already decided). */
export const isOnFailureStep = (job: Pick<Job, 'step'>): boolean => job.step >= ON_FAILURE_STEP_BASE;

/**
 * A rule run failed: its `on_failure:` steps (docs/rules.md, escalate) become jobs of the same run
 * (same chain, trace, alert, node and notifiers), in order, the first at once. Stored, then queued.
 * Returns them; [] when the rule has none, or `failed` is itself an on_failure step.
 */
export function runOnFailure(
  ctx: Pick<AppContext, 'runtime' | 'store' | 'queue' | 'log' | 'now' | 'newId'>,
  failed: Job,
): Job[] {
  const rule = failed.trigger.rule;
  if (!rule || !failed.alert || isOnFailureStep(failed)) return [];
  const rt = ctx.runtime();
  const steps = rt.onFailure(rule, failed.alert, failed.request.node);
  if (steps.length === 0) return [];
  const jobs = chainJobs(steps, {
    trigger: failed.trigger,
    alert: failed.alert,
    chainId: failed.chainId ?? failed.id,
    traceId: failed.traceId,
    createdAt: ctx.now().toISOString(),
    newId: () => ctx.newId(),
    dryRun: failed.request.dryRun,
    registry: rt.registry,
    canonicalNode: rt.canonicalNode,
  });
  const created = ctx.store.createJobs(jobs).jobs;
  const fields = { rule, job_id: failed.id, trace_id: failed.traceId, jobs: created.map((j) => j.id) };
  ctx.log.info(fields, `rule run failed: running its on_failure steps (${steps.map((s) => s.action).join(', ')})`);
  ctx.queue.add(created);
  return created;
}
