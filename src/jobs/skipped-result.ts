import type { Job } from '../core/job';
import type { JobStatus, Result } from '../core/types';

/** The Result of a job that never reached a node (skipped by a guard, cancelled, or failed inside RUNE). */
export function skippedResult(
  job: Pick<Job, 'id' | 'traceId' | 'request' | 'trigger'>,
  reason: string,
  at: Date,
  status: JobStatus = 'skipped',
): Result {
  const iso = at.toISOString();
  return {
    job_id: job.id,
    trace_id: job.traceId,
    action: job.request.action,
    action_version: null,
    node: job.request.node,
    transport: null,
    dry_run: job.request.dryRun || job.request.pluginDryRun,
    status,
    started_at: iso,
    finished_at: iso,
    duration_ms: 0,
    exit_code: null,
    summary: `${status}: ${reason}`,
    data: { reason },
    error: null,
    stdout_tail: '',
    stderr_tail: '',
    truncated: false,
    trigger: job.trigger,
  };
}
