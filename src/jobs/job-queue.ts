import type { Job, QueuedEntry } from '../core/job';
import type { JobStatus, Result } from '../core/types';
import { windowText } from '../util/duration';
import { skippedResult } from './skipped-result';
import { createNodeLocks, type NodeHolder } from './node-locks';
import type { RunClaim } from '../store/store';
import { createStoreWrites } from './store-writes';
import { DEFAULT_NODE_LOCK_WAIT_MS, type JobQueue, type JobQueueDeps } from './job-queue-types';

/** How often a job waiting for a node held on another replica looks again. */
const NODE_RECHECK_MS = 1000;

/**
 * The job queue: a global concurrency limit, a per-node lock for mutating actions (two never
 * overlap on one node; read-only ones may run beside them; a job waits for the lock up to a bound,
 * then is skipped as node_busy), steps of a rule in order. Jobs live in
 * the store, so queued ones survive a restart; in memory are only the scheduling facts of waiting
 * jobs (a few fields each), so deciding what runs next never reads or parses stored jobs.
 */
export function createJobQueue(deps: JobQueueDeps): JobQueue {
  const waiting = new Map<string, QueuedEntry>(); // insertion order = arrival order
  const active = new Map<string, Job>();
  const controllers = new Map<string, AbortController>();
  /** Deliveries still under way for jobs that already finished (idle/stop wait for them too). */
  const reporting = new Set<Promise<void>>();
  const nodes = createNodeLocks();
  /** Waiting job → when it first found its node locked (epoch ms, from deps.now). */
  const lockWaitSince = new Map<string, number>();
  /** Job → the waiting step after it, to tell when a rule run ended. */
  const nextOf = new Map<string, string>();
  let lockTimer: NodeJS.Timeout | undefined;
  /** Writes the store refused (disk full) are retried; the queue changes only after a write took. */
  const writes = createStoreWrites({ log: deps.log });
  let storeTimer: NodeJS.Timeout | undefined;
  /** Aborted when stop() passed its bound: results still waiting for the store are logged, not kept. */
  const giveUp = new AbortController();
  /** Jobs a later step waits for, and how they ended once they did (dropped when the step decides). */
  const awaited = new Map<string, JobStatus | null>();
  let scheduled = false;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];
  let stopWaiters: (() => void)[] = [];

  function track(entry: QueuedEntry): void {
    if (waiting.has(entry.id) || active.has(entry.id)) return;
    waiting.set(entry.id, entry);
    if (entry.after) {
      if (!awaited.has(entry.after)) awaited.set(entry.after, null);
      nextOf.set(entry.after, entry.id);
    }
  }

  /** Takes an entry out of the waiting set, with its bookkeeping. */
  function unwait(entry: QueuedEntry): void {
    waiting.delete(entry.id);
    lockWaitSince.delete(entry.id);
    if (entry.after) {
      awaited.delete(entry.after);
      nextOf.delete(entry.after);
    }
  }

  /** After a job of an automatic rule run ended: did the run end with it, and how? */
  function noteRunEnd(job: Job, result: Result): void {
    if (!deps.ruleRunEnded || job.trigger.kind !== 'alert' || !job.trigger.rule) return;
    const nextId = nextOf.get(job.id);
    const next = nextId === undefined ? undefined : waiting.get(nextId);
    const failed = result.status === 'failed' || result.status === 'timed_out';
    // A failure ends the run unless the failed step says continue_on_error; a success only at the last step.
    if (failed ? !next || next.stopOnFailureOf : result.status === 'succeeded' && !next) {
      try {
        deps.ruleRunEnded(job, result, !failed);
      } catch (err) {
        deps.log.error(
          { err, job_id: job.id, trace_id: job.traceId },
          'job queue: cannot record the end of a rule run',
        );
      }
    }
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
    if (active.size > 0 || reporting.size > 0) return;
    {
      const s = stopWaiters;
      stopWaiters = [];
      s.forEach((r) => r());
    }
    if (!scheduled) {
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
    let nextLockDeadline = Infinity;
    try {
      for (const entry of waiting.values()) {
        if (stopped || active.size >= deps.concurrency) return;
        if (entry.after) {
          const before = previousOutcome(entry.after);
          if (before === null) continue; // the previous step has not finished
          if (entry.stopOnFailureOf && before !== 'succeeded') {
            const prev = deps.store.getJob(entry.after);
            const which = prev ? `step ${prev.step + 1} (${prev.request.action})` : `job ${entry.after}`;
            if (!skip(entry, `previous_step_failed: ${which} ended ${before}`, false)) return;
            continue;
          }
        }
        /** Per-node lock: wait, but not for ever (docs/safety.md node_busy); false when the store cannot write. */
        const waitForNode = (holder: NodeHolder, recheckMs: number): boolean => {
          const now = deps.now().getTime();
          const since = lockWaitSince.get(entry.id) ?? now;
          lockWaitSince.set(entry.id, since);
          const bound = deps.nodeLockWaitMs?.() ?? DEFAULT_NODE_LOCK_WAIT_MS;
          if (now - since >= bound) {
            const reason = `node_busy: ${entry.node} ${holder.what} for longer than ${windowText(bound)}`;
            return skip(entry, reason, true);
          }
          nextLockDeadline = Math.min(nextLockDeadline, since + bound - now, holder.untilMs - now, recheckMs);
          return true;
        };
        const holder = entry.mutating ? nodes.holder(entry.node, deps.now().getTime()) : undefined;
        if (holder) {
          if (!waitForNode(holder, Infinity)) return;
          continue;
        }
        const job = deps.store.getJob(entry.id);
        if (!job || job.status !== 'queued') {
          unwait(entry);
          continue;
        }
        // Running in the store first: a job is never running here while the store says queued. The
        // store also checks the node's lock across replicas sharing it (docs/deployment.md).
        const at = deps.now();
        const lockUntil = job.mutating ? (deps.lockUntilOf?.(job, at.getTime()) ?? null) : null;
        let claimed: RunClaim | undefined;
        const write = () => void (claimed = deps.store.markRunning(job.id, at.toISOString(), lockUntil));
        if (!writes.attempt(write, 'mark running')) {
          retryLater();
          return;
        }
        const claim = claimed as RunClaim;
        if (claim === 'gone') {
          unwait(entry); // cancelled or taken over by another replica meanwhile
          continue;
        }
        if (claim !== 'started') {
          // Held on another replica: nothing here wakes the queue when it ends, so look again soon.
          if (!waitForNode(claim, NODE_RECHECK_MS)) return;
          continue;
        }
        unwait(entry);
        start(job);
      }
    } finally {
      // Nothing else may wake the queue while the lock holder runs on: a timer checks the bound.
      clearTimeout(lockTimer);
      lockTimer = undefined;
      if (nextLockDeadline !== Infinity && !stopped) {
        lockTimer = setTimeout(pump, Math.max(nextLockDeadline, 1));
        lockTimer.unref();
      }
    }
  }

  /** Stores the job as skipped, then forgets it; false (it stays waiting) while the store cannot write. */
  function skip(entry: QueuedEntry, reason: string, byGuard: boolean): boolean {
    const job = deps.store.getJob(entry.id);
    if (!job) {
      unwait(entry);
      return true;
    }
    const at = deps.now();
    const result = skippedResult(job, reason, at);
    if (!writes.attempt(() => deps.store.finishJob(job.id, 'skipped', result, reason, at.toISOString()), 'skip')) {
      retryLater();
      return false;
    }
    unwait(entry);
    ended(job.id, 'skipped');
    if (byGuard) {
      deps.suppressed?.(job, reason);
      void deps
        .report(job, result)
        .catch((err: unknown) =>
          deps.log.error({ err, job_id: job.id, trace_id: job.traceId }, 'cannot report the skipped job'),
        );
    }
    return true;
  }

  /** The store refused a write: try the queue again after the backoff (nothing is lost meanwhile). */
  function retryLater(): void {
    if (storeTimer || stopped) return;
    storeTimer = setTimeout(() => {
      storeTimer = undefined;
      pump();
    }, writes.retryInMs());
    storeTimer.unref();
  }

  /** Frees the job's slot and node lock (once): its node work is over, even if reporting is not. */
  function release(job: Job): void {
    controllers.delete(job.id);
    if (!active.delete(job.id)) return;
    nodes.unlock(job);
    if (stopped) settleWaiters();
    else pump();
  }

  function start(job: Job): void {
    active.set(job.id, job);
    nodes.lock(job);
    const controller = new AbortController();
    controllers.set(job.id, controller);
    void (async () => {
      let result: Result;
      let reason: string | null = null;
      try {
        result = await deps.run(job, controller.signal);
      } catch (err) {
        deps.log.error({ err, job_id: job.id, trace_id: job.traceId }, 'job failed inside RUNE');
        reason = `internal error: ${(err as Error).message}`;
        result = skippedResult(job, reason, deps.now(), 'failed');
      }
      try {
        // The result is kept until the store has it: the slot and the node lock stay taken meanwhile,
        // so nothing runs on the node while the store still says this job is running.
        const stored = await writes.persist(
          () => deps.store.finishJob(job.id, result.status, result, reason, result.finished_at),
          'store a result',
          giveUp.signal,
        );
        if (!stored) {
          const fields = { job_id: job.id, trace_id: job.traceId, result };
          deps.log.error(
            fields,
            'the store could not take this result before RUNE stopped: the job stays running there',
          );
          return;
        }
        ended(job.id, result.status);
        noteRunEnd(job, result);
        // A slow or stuck notifier must not hold the node lock or a slot: release first, then report.
        release(job);
        const delivery: Promise<void> = deps
          .report(job, result)
          .catch((err: unknown) =>
            deps.log.error({ err, job_id: job.id, trace_id: job.traceId }, 'reporting failed inside RUNE'),
          )
          .finally(() => {
            reporting.delete(delivery);
            settleWaiters();
          });
        reporting.add(delivery);
      } catch (err) {
        deps.log.error({ err, job_id: job.id, trace_id: job.traceId }, 'cannot record the end of the job');
      } finally {
        release(job);
      }
    })();
  }

  return {
    add(jobs) {
      const finished = new Set(jobs.filter((j) => j.status !== 'queued').map((j) => j.id));
      for (const j of jobs) {
        if (j.status === 'queued')
          track({
            id: j.id,
            after: j.after,
            stopOnFailureOf: j.stopOnFailureOf,
            mutating: j.mutating,
            node: j.request.node,
          });
        else if (j.result && !(j.after !== null && finished.has(j.after))) {
          const result = j.result;
          void deps
            .report(j, result)
            .catch((err: unknown) =>
              deps.log.error({ err, job_id: j.id, trace_id: j.traceId }, 'cannot report the job'),
            );
        }
      }
      pump();
    },
    drop(ids) {
      for (const id of ids) {
        const entry = waiting.get(id);
        if (entry) unwait(entry);
      }
      pump();
    },
    resume() {
      for (const h of deps.store.heldNodes(deps.now().getTime())) nodes.hold(h);
      for (const entry of deps.store.queuedEntries()) track(entry);
      pump();
    },
    releaseHeld(jobId) {
      nodes.releaseHeld(jobId);
      pump();
    },
    running: () => active.size,
    runningJobs: () => [...active.values()],
    abort(id, reason) {
      const c = controllers.get(id);
      if (!c || c.signal.aborted) return false;
      c.abort(reason);
      return true;
    },
    waiting: () => waiting.size,
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        if (stopped) settleWaiters();
        else pump();
      }),
    async stop(timeoutMs) {
      stopped = true;
      clearTimeout(lockTimer);
      clearTimeout(storeTimer);
      if (active.size === 0 && reporting.size === 0) return true;
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        new Promise<boolean>((r) => stopWaiters.push(() => r(true))),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(false), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      // Past the bound: results the store still cannot take are logged in full instead of kept.
      if (!finished) giveUp.abort();
      return finished;
    },
  };
}
