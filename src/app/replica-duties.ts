import type { Job } from '../core/job';
import type { Logger } from '../core/logger';
import type { JobQueue } from '../jobs/job-queue-types';
import type { Store, TakenOver } from '../store/store';

export interface ReplicaDutiesDeps {
  store: Store;
  queue: JobQueue;
  log: Logger;
  now: () => Date;
  /** RUNE_LEASE (ms): a replica silent this long is dead. */
  leaseMs: number;
  /** The reload count this replica has acted on (store.reloadGeneration). */
  reloadsSeen: { value: number };
  /** Reloads this replica's rules and tokens files. */
  reload(): { ok: boolean; problems: string[] };
  /** Runs stopped by a takeover (their Results reported). */
  stopped(jobs: Job[]): void;
  /** Pending PagerDuty incidents taken over: looked up now. */
  resumePending(keys: ReadonlySet<string>): void;
}

/**
 * Sharing PostgreSQL with other replicas (docs/deployment.md, High availability): every lease/3,
 * renew this replica's lease, reload when another replica reloaded, and take over the work of
 * replicas whose lease ended; every second, stop the jobs other replicas were asked to cancel.
 */
export function startReplicaDuties(d: ReplicaDutiesDeps): { stop(): void } {
  const { store, queue, log } = d;
  const lease = setInterval(
    () => {
      try {
        const at = d.now();
        if (!store.heartbeat(at.getTime())) {
          log.error(
            { replica: store.replica },
            "this replica's lease had ended (silent too long): other replicas took over its queued jobs",
          );
        }
        const reloads = store.reloadGeneration();
        if (reloads !== d.reloadsSeen.value) {
          d.reloadsSeen.value = reloads;
          const outcome = d.reload();
          log.info(
            { ok: outcome.ok, problems: outcome.problems },
            'rules and tokens reloaded: another replica reloaded',
          );
        }
        const taken = store.takeOver(at.getTime() - d.leaseMs, at.toISOString());
        if (taken.replicas.length === 0 && taken.queued.length === 0 && taken.stopped.length === 0) return;
        logTakeOver(taken, log);
        queue.resume();
        d.stopped(taken.stopped);
        if (taken.pending.length > 0) d.resumePending(new Set(taken.pending));
      } catch (err) {
        log.warn({ err }, 'cannot renew the lease or take over work; will retry');
      }
    },
    Math.max(250, Math.floor(d.leaseMs / 3)),
  );
  const cancels = setInterval(() => {
    try {
      for (const c of store.takeCancelRequests()) queue.abort(c.id, c.reason);
    } catch (err) {
      log.warn({ err }, 'cannot read cancel requests; will retry');
    }
  }, 1000);
  lease.unref();
  cancels.unref();
  return {
    stop() {
      clearInterval(lease);
      clearInterval(cancels);
    },
  };
}

/** Says what was taken over at start or from a replica whose lease ended. */
export function logTakeOver(taken: TakenOver, log: Logger): void {
  for (const job of taken.stopped) {
    const fields = { job_id: job.id, trace_id: job.traceId, action: job.request.action, node: job.request.node };
    log.warn({ ...fields, mutating: job.mutating, lock_until: job.lockUntil }, `job stopped: ${job.reason}`);
  }
  if (taken.replicas.length > 0 || taken.queued.length > 0 || taken.pending.length > 0) {
    const what = { replicas: taken.replicas, queued: taken.queued.map((e) => e.id), pending: taken.pending };
    log.warn(what, 'took over the work of stopped replicas');
  }
}
