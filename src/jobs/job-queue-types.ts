import type { Job } from '../core/job';
import type { Logger } from '../core/logger';
import type { Result } from '../core/types';
import type { Store } from '../store/store';

/** How long a mutating job waits for its node's lock before it is skipped as node_busy. */
export const DEFAULT_NODE_LOCK_WAIT_MS = 10 * 60_000;

export interface JobQueueDeps {
  store: Store;
  /** Runs one job to its Result (the orchestrator + mediator); never throws for node faults. */
  run: (job: Job, signal: AbortSignal) => Promise<Result>;
  /** Posts the Result to the job's notifiers; failures are recorded, never thrown. */
  report: (job: Job, result: Result) => Promise<void>;
  /** Jobs running at once across all nodes. */
  concurrency: number;
  now: () => Date;
  log: Logger;
  /**
   * How long a mutating job may wait for its node's lock before it is skipped as node_busy (ms); read
   * at each check, so a reload applies. Default 10 min.
   */
  nodeLockWaitMs?: () => number;
  /** An automatic rule run (a chain of steps) ended: ok, or failed / timed out (the circuit breaker counts these). */
  ruleRunEnded?: (job: Job, result: Result, ok: boolean) => void;
  /**
   * Until when (epoch ms) a mutating job's run could still be going on its node if RUNE stopped
   * once it started at `startedMs`: its timeout and kill grace. Stored with the job; after a crash
   * the node stays held until then (docs/safety.md, Outcome unknown). Default: no hold.
   */
  lockUntilOf?: (job: Job, startedMs: number) => number | null;
  /** A job was skipped by a guard of the queue (node_busy), for the counters. */
  suppressed?: (job: Job, reason: string) => void;
}

export interface JobQueue {
  /**
   * Jobs just stored as queued (the store is the truth; this makes them candidates to run). Jobs
   * stored already finished (skipped by a guard, cancelled by a resolve) are reported instead,
   * the first of each chain only: one note per refused rule run.
   */
  add(jobs: readonly Job[]): void;
  /** Forgets waiting jobs the store no longer holds as queued (cancelled by a resolve). */
  drop(ids: readonly string[]): void;
  /**
   * After a restart: every job the store holds as queued becomes a candidate again, and the nodes
   * held by runs of unknown outcome stay held until their hold ends.
   */
  resume(): void;
  /** An operator released the node an outcome_unknown job held (the store already says so). */
  releaseHeld(jobId: string): void;
  running(): number;
  /** The jobs running now (e.g. to find those a resolve cancels). */
  runningJobs(): Job[];
  /**
   * Cancels a running job: its transport stops the plugin (TERM, then KILL after the grace) and the
   * job ends `cancelled` with `reason`. False when the job is not running here.
   */
  abort(id: string, reason: string): boolean;
  /** Jobs waiting: for a slot, the previous step, or the node's lock. */
  waiting(): number;
  /** Resolves when nothing runs and nothing waiting can start (tests, shutdown). */
  idle(): Promise<void>;
  /** Starts nothing new; resolves when running jobs finished or after `timeoutMs` (then false). */
  stop(timeoutMs: number): Promise<boolean>;
}
