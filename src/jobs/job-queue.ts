import type { Job, QueuedEntry, Store } from '../store/store';
import type { JobStatus, Result } from '../types';
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
  /** Jobs just stored as queued (the store is the truth; this makes them candidates to run). */
  add(jobs: readonly Job[]): void;
  /** After a restart: every job the store holds as queued becomes a candidate again. */
  resume(): void;
  running(): number;
  /** Jobs waiting: for a slot, the previous step, or the node's lock. */
  waiting(): number;
  /** Resolves when nothing runs and nothing waiting can start (tests, shutdown). */
  idle(): Promise<void>;
  /** Starts nothing new; resolves when running jobs finished or after `timeoutMs` (then false). */
  stop(timeoutMs: number): Promise<boolean>;
}

/**
 * The job queue: a global concurrency limit, a per-node lock for mutating actions (two never
 * overlap on one node; read-only ones may run beside them), steps of a rule in order. Jobs live in
 * the store, so queued ones survive a restart; in memory are only the scheduling facts of waiting
 * jobs (a few fields each), so deciding what runs next never reads or parses stored jobs.
 */
export function createJobQueue(deps: JobQueueDeps): JobQueue {
  const waiting = new Map<string, QueuedEntry>(); // insertion order = arrival order
  const active = new Map<string, Job>();
  const lockedNodes = new Set<string>();
  /** Jobs a later step waits for, and how they ended once they did (dropped when the step decides). */
  const awaited = new Map<string, JobStatus | null>();
  let scheduled = false;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];
  let stopWaiters: (() => void)[] = [];

  function track(entry: QueuedEntry): void {
    if (waiting.has(entry.id) || active.has(entry.id)) return;
    waiting.set(entry.id, entry);
    if (entry.after && !awaited.has(entry.after)) awaited.set(entry.after, null);
  }

  function ended(id: string, status: JobStatus): void {
    if (awaited.has(id)) awaited.set(id, status);
  }

  /** How the previous step ended: still pending (null), or its final status. */
  function previousOutcome(id: string): JobStatus | null {
    if (waiting.has(id) || active.has(id)) return null;
    const known = awaited.get(id);
    if (known) return known;
    const stored = deps.store.getJob(id)?.status; // e.g. finished before a restart
    return stored === undefined ? 'failed' : stored === 'queued' || stored === 'running' ? null : stored;
  }

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
        deps.log.error({ err }, 'job queue: cannot schedule');
      }
      settleWaiters();
    });
  }

  function startRunnable(): void {
    for (const entry of waiting.values()) {
      if (stopped || active.size >= deps.concurrency) return;
      if (entry.after) {
        const before = previousOutcome(entry.after);
        if (before === null) continue; // the previous step has not finished
        if (entry.stopOnFailureOf && before !== 'succeeded') {
          waiting.delete(entry.id);
          awaited.delete(entry.after);
          const prev = deps.store.getJob(entry.after);
          const which = prev ? `step ${prev.step + 1} (${prev.request.action})` : `job ${entry.after}`;
          skip(entry, `previous_step_failed: ${which} ended ${before}`);
          continue;
        }
      }
      if (entry.mutating && lockedNodes.has(entry.node)) continue; // per-node lock: wait
      waiting.delete(entry.id);
      if (entry.after) awaited.delete(entry.after);
      const job = deps.store.getJob(entry.id);
      if (job && job.status === 'queued') start(job);
    }
  }

  function skip(entry: QueuedEntry, reason: string): void {
    const job = deps.store.getJob(entry.id);
    if (!job) return;
    const at = deps.now();
    deps.store.finishJob(job.id, 'skipped', skippedResult(job, reason, at), reason, at.toISOString());
    ended(job.id, 'skipped');
  }

  function start(job: Job): void {
    active.set(job.id, job);
    if (job.mutating) lockedNodes.add(job.request.node);
    deps.store.markRunning(job.id, deps.now().toISOString());
    void (async () => {
      let recorded = false;
      try {
        const result = await deps.run(job);
        deps.store.finishJob(job.id, result.status, result, null, result.finished_at);
        recorded = true;
        ended(job.id, result.status);
        await deps.report(job, result);
      } catch (err) {
        deps.log.error({ err, job_id: job.id }, 'job failed inside RUNE');
        if (!recorded) {
          try {
            const at = deps.now();
            const reason = `internal error: ${(err as Error).message}`;
            deps.store.finishJob(job.id, 'failed', skippedResult(job, reason, at, 'failed'), reason, at.toISOString());
          } catch (storeErr) {
            deps.log.error({ err: storeErr, job_id: job.id }, 'cannot record the failed job');
          }
          ended(job.id, 'failed');
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
    add(jobs) {
      for (const j of jobs) if (j.status === 'queued') track({ id: j.id, after: j.after, stopOnFailureOf: j.stopOnFailureOf, mutating: j.mutating, node: j.request.node });
      pump();
    },
    resume() {
      for (const entry of deps.store.queuedEntries()) track(entry);
      pump();
    },
    running: () => active.size,
    waiting: () => waiting.size,
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
