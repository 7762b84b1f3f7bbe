import type { Job, Store } from '../store/store';
import type { Result } from '../types';
import { skippedResult } from './skipped-result';

export interface JobQueueDeps {
  store: Store;
  /** Runs one job to its Result (the orchestrator + mediator); never throws for node faults. */
  run: (job: Job) => Promise<Result>;
  /** Posts the Result to the job's notifiers; failures are recorded, never thrown. */
  report: (job: Job, result: Result) => Promise<void>;
  /** Jobs running at once across all nodes. */
  concurrency: number;
  now: () => Date;
  log: { error: (obj: object, msg: string) => void };
}

export interface JobQueue {
  /** Looks for runnable queued jobs; call after inserting jobs. Cheap and idempotent. */
  pump(): void;
  running(): number;
  /** Resolves when nothing runs and nothing queued can start (tests, shutdown). */
  idle(): Promise<void>;
  /** Starts nothing new; resolves when running jobs finished or after `timeoutMs` (then false). */
  stop(timeoutMs: number): Promise<boolean>;
}

const DONE_OK = new Set(['succeeded']);
const PENDING = new Set(['queued', 'running']);

/**
 * The job queue over the store: a global concurrency limit, a per-node lock for mutating actions
 * (two never overlap on one node; read-only ones may run beside them), steps of a rule in order.
 * State lives in the store, so queued jobs survive a restart; this object only holds what runs now.
 */
export function createJobQueue(deps: JobQueueDeps): JobQueue {
  const active = new Map<string, Job>();
  const lockedNodes = new Set<string>();
  let scheduled = false;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];
  let stopWaiters: (() => void)[] = [];

  function settleWaiters(): void {
    if (active.size === 0) {
      const s = stopWaiters;
      stopWaiters = [];
      s.forEach((r) => r());
    }
    if (active.size === 0 && !scheduled) {
      const w = idleWaiters;
      idleWaiters = [];
      w.forEach((r) => r());
    }
  }

  function pump(): void {
    if (scheduled || stopped) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      try {
        startRunnable();
      } catch (err) {
        deps.log.error({ err }, 'job queue: cannot read queued jobs');
      }
      settleWaiters();
    });
  }

  function startRunnable(): void {
    if (stopped) return;
    for (const job of deps.store.queuedJobs(1000)) {
      if (active.size >= deps.concurrency) return;
      if (active.has(job.id)) continue;
      if (job.after) {
        const before = deps.store.getJob(job.after);
        if (before && PENDING.has(before.status)) continue; // the previous step has not finished
        if (before && job.stopOnFailureOf && !DONE_OK.has(before.status)) {
          const reason = `previous_step_failed: step ${before.step + 1} (${before.request.action}) ended ${before.status}`;
          const at = deps.now();
          deps.store.finishJob(job.id, 'skipped', skippedResult(job, reason, at), reason, at.toISOString());
          continue;
        }
      }
      if (job.mutating && lockedNodes.has(job.request.node)) continue; // per-node lock: wait
      start(job);
    }
  }

  function start(job: Job): void {
    active.set(job.id, job);
    if (job.mutating) lockedNodes.add(job.request.node);
    deps.store.markRunning(job.id, deps.now().toISOString());
    void (async () => {
      try {
        const result = await deps.run(job);
        deps.store.finishJob(job.id, result.status, result, null, result.finished_at);
        await deps.report(job, result);
      } catch (err) {
        deps.log.error({ err, job_id: job.id }, 'job failed inside RUNE');
        try {
          const at = deps.now();
          const reason = `internal error: ${(err as Error).message}`;
          deps.store.finishJob(job.id, 'failed', skippedResult(job, reason, at, 'failed'), reason, at.toISOString());
        } catch (storeErr) {
          deps.log.error({ err: storeErr, job_id: job.id }, 'cannot record the failed job');
        }
      } finally {
        active.delete(job.id);
        if (job.mutating) lockedNodes.delete(job.request.node);
        if (stopped) settleWaiters();
        else pump();
      }
    })();
  }

  return {
    pump,
    running: () => active.size,
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        if (stopped) settleWaiters();
        else pump();
      }),
    async stop(timeoutMs) {
      stopped = true;
      if (active.size === 0) return true;
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        new Promise<boolean>((r) => stopWaiters.push(() => r(true))),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(false), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      return finished;
    },
  };
}
