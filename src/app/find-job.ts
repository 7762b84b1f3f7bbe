import { RuneError } from '../core/errors';
import type { Job } from '../core/job';
import type { AppContext } from './context';

/** The shortest prefix that may name a job (like git's abbreviated commit ids). */
export const MIN_JOB_ID_PREFIX = 6;

/**
 * A job by its id or a unique prefix of it (what `rune jobs list` and the dashboard show is enough
 * to type). Unknown: NOT_FOUND; a prefix that names several jobs: BAD_REQUEST listing some of them.
 */
export function findJob(ctx: Pick<AppContext, 'store'>, idOrPrefix: string): Job {
  const exact = ctx.store.getJob(idOrPrefix);
  if (exact) return exact;
  if (idOrPrefix.length >= MIN_JOB_ID_PREFIX && /^[0-9A-Za-z_-]+$/.test(idOrPrefix)) {
    const ids = ctx.store.jobIdsStartingWith(idOrPrefix, 4);
    if (ids.length === 1) {
      const job = ctx.store.getJob(ids[0] as string);
      if (job) return job;
    }
    if (ids.length > 1) {
      const some = ids.slice(0, 3).join(', ');
      throw new RuneError(
        'BAD_REQUEST',
        `job id prefix ${idOrPrefix} is ambiguous: it matches ${some}…; give more of it`,
        {
          matches: ids,
        },
      );
    }
  }
  const hint =
    idOrPrefix.length < MIN_JOB_ID_PREFIX ? ` (a prefix needs at least ${MIN_JOB_ID_PREFIX} characters)` : '';
  throw new RuneError('NOT_FOUND', `no job ${JSON.stringify(idOrPrefix)}${hint}`);
}
