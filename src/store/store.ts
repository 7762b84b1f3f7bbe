import type { BreakerState, GuardFacts, GuardVerdict, GuardWindows, PauseState } from '../core/guard-state';
import type { Alert, AlertSource, JobStatus, Result } from '../core/types';
import type { DeliveryRecord, Job, NewJob, QueuedEntry } from '../core/job';
import type {
  NewRunSilence,
  NewVerification,
  RunSilence,
  Verification,
  VerificationStatus,
} from '../core/verification';

/** Jobs created together under one dedup key (one rule run for one alert episode). */
export interface JobGroup {
  jobs: NewJob[];
  dedupKey?: string;
  /** Decided inside the insert's transaction, after dedup (automatic runs; docs/safety.md). */
  guard?: GroupGuard;
}

/**
 * The guard decision of one automatic rule run. The store reads the facts (pause, breaker, past
 * runs in the windows) and calls `decide` in the same transaction as the insert, so concurrent
 * requests, or replicas on one database, cannot both pass a budget of 1.
 */
export interface GroupGuard {
  rule: string;
  node: string;
  /** The rule run, recorded as an admitted run (and as the breaker's probe when it is one). */
  chainId: string;
  /** Epoch ms of the decision. */
  at: number;
  windows: GuardWindows;
  /** Pure (decideGuards with the rule's settings). */
  decide(facts: GuardFacts): GuardVerdict;
  /** The jobs stored instead when refused: the same steps, skipped with the reason and a Result. */
  skipped(reason: string): NewJob[];
}

/**
 * What one group became: new jobs, the jobs of an earlier delivery (duplicate), or skipped ones (suppressed:
 * the reason).
 */
export interface GroupOutcome {
  duplicate: boolean;
  jobs: Job[];
  suppressed: string | null;
}

export interface JobFilter {
  node?: string;
  rule?: string;
  status?: JobStatus;
  incident?: string;
  action?: string;
  limit?: number;
  /** Jobs created before this one (pagination, newest first). */
  before?: string;
}

/** One webhook notification as received, kept (bounded) for `rune rules replay`. No headers, no secrets. */
export interface WebhookRecord {
  receivedAt: string;
  source: AlertSource;
  /** The sender's own id: Alertmanager's groupKey, PagerDuty's X-Webhook-Id (or event id). */
  id: string;
  /** Its alerts, as the source adapter normalized them. */
  alerts: Alert[];
}

export interface AuditRecord {
  at: string;
  actor: string;
  source: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

/** GET /api/v1/audit: newest first; `before` is the `seq` of the last record of the previous page. */
export interface AuditFilter {
  since?: string;
  actor?: string;
  action?: string;
  limit: number;
  before?: number;
}

/** An audit record with its position in the log (the cursor of the next page). */
export type AuditEntry = AuditRecord & { seq: number };

/**
 * A dashboard session as stored when replicas share the database (docs/dashboard.md): the cookie's
 * id and the API token only as SHA-256 hashes, so the database never holds either secret.
 */
export interface SessionRecord {
  idHash: string;
  csrf: string;
  /** The actor as signed in (re-checked against the tokens file on every request). */
  actor: unknown;
  tokenHash: string | null;
  createdMs: number;
  lastSeenMs: number;
  flash: string | null;
}

/** What markRunning made of a claim (see there). */
export type RunClaim = 'started' | 'gone' | { heldBy: string; what: string; untilMs: number };

/** What takeOver took from dead replicas. */
export interface TakenOver {
  replicas: string[];
  /** Their queued jobs, now this replica's. */
  queued: QueuedEntry[];
  /** Their running jobs, now interrupted or of unknown outcome. */
  stopped: Job[];
  /** Their pending PagerDuty incidents (keys), now this replica's. */
  pending: string[];
}

/**
 * All of RUNE's state behind one interface (docs/architecture.md, State): SQLite, or PostgreSQL shared
 * by replicas. Methods are synchronous (better-sqlite3 is; PostgreSQL is reached through pg-sync).
 */
export interface Store {
  /** This process among the replicas that share the database (its jobs' owner). */
  readonly replica: string;
  /** True when other processes may share the database (PostgreSQL): leases and takeovers matter. */
  readonly shared: boolean;
  /**
   * Inserts jobs atomically. With a dedup key that was seen before nothing is inserted and the
   * jobs created the first time are returned with `duplicate: true` (one run per firing episode).
   */
  createJobs(jobs: NewJob[], dedupKey?: string): { duplicate: boolean; jobs: Job[] };
  /**
   * Several createJobs, audit records and the webhook notifications they came from, in one
   * transaction: one commit for many alerts.
   */
  createJobGroups(groups: JobGroup[], audits?: AuditRecord[], webhooks?: WebhookRecord[]): GroupOutcome[];
  /**
   * Deletes up to `batch` of the oldest stored webhooks that were received before `olderThanMs`
   * (epoch ms) or are beyond the newest `keep`. Returns how many; call again while it returns `batch`.
   */
  pruneWebhooks(olderThanMs: number, keep: number, batch: number): number;
  /** True the first time a key is seen (PagerDuty X-Webhook-Id), false for a redelivery. */
  rememberKey(key: string): boolean;
  /**
   * A PagerDuty incident event about to be acknowledged: in one transaction, its delivery's dedup
   * key (false, and nothing written, when seen before), its audit record, and a pending entry that
   * stays until finishPendingIncident (the alerts lookup ended), so a restart takes it up again.
   */
  acceptPendingIncident(dedupKey: string | null, pendingKey: string, event: unknown, record: AuditRecord): boolean;
  pendingIncidents(): { key: string; receivedAt: string; event: unknown }[];
  finishPendingIncident(key: string): void;
  getJob(id: string): Job | null;
  /** Ids of jobs whose id starts with `prefix` (at most `limit`, in id order): ids typed short. */
  jobIdsStartingWith(prefix: string, limit: number): string[];
  listJobs(filter: JobFilter): Job[];
  /** What the queue needs to schedule every queued job, oldest first (after a restart). */
  queuedEntries(): QueuedEntry[];
  /**
   * Claims a queued job of this replica to run from `at` (one transaction): `gone` when it is no
   * longer queued here (cancelled, taken over); for a mutating job, the holder when another
   * mutating run is on its node (on any replica) or a run of unknown outcome still holds it.
   * `lockUntilMs` (epoch ms; mutating jobs) is until when its run could still
   * be going on the node if RUNE stopped now: its timeout and kill grace.
   */
  markRunning(id: string, at: string, lockUntilMs: number | null): RunClaim;
  finishJob(id: string, status: JobStatus, result: Result | null, reason: string | null, at: string): void;
  /** Ends a job that has not started (a cancel): false when it is no longer queued (it started meanwhile). */
  finishQueued(id: string, status: JobStatus, result: Result, reason: string, at: string): boolean;
  addDelivery(id: string, delivery: DeliveryRecord): void;
  /**
   * After RUNE stopped (a crash, a shutdown past its grace): running jobs are never re-run
   * automatically. A read-only one becomes `interrupted`; a mutating one `outcome_unknown`, its node
   * held until its lockUntil (docs/safety.md, Outcome unknown). Returns them as stored now.
   */
  interruptRunning(at: string): Job[];
  /**
   * Replicas (docs/deployment.md, High availability): this one's lease is renewed; false when
   * another replica had already declared it dead (its queued jobs were taken over).
   */
  heartbeat(nowMs: number): boolean;
  /**
   * Takes over the work of replicas whose lease ended before `deadBeforeMs` (all but this one
   * when `deadBeforeMs` is null: one process on its own database, just started): their queued jobs
   * and pending incidents become this replica's; their running jobs are stopped as interruptRunning
   * stops them (never re-run). One transaction.
   */
  takeOver(deadBeforeMs: number | null, at: string): TakenOver;
  /** Asks the replica running job `id` to stop it; false when the job is not running. */
  requestCancel(id: string, reason: string): boolean;
  /** Cancels asked of this replica's running jobs (by any replica), each returned once. */
  takeCancelRequests(): { id: string; reason: string }[];
  /**
   * How many times rules and tokens were reloaded on any replica (0: never); `bump` counts one
   * more and returns it. Replicas that see it change reload too.
   */
  reloadGeneration(bump?: boolean): number;
  /** Dashboard sessions shared by replicas: written whole (insert or replace), read, removed. */
  saveSession(record: SessionRecord): void;
  findSession(idHash: string): SessionRecord | null;
  dropSession(idHash: string): void;
  /** Sessions (of one token, or all), least recently used first: for the per-token and total caps. */
  listSessions(tokenHash?: string): { idHash: string; lastSeenMs: number }[];
  /** Removes sessions unused since `idleBeforeMs` or made before `createdBeforeMs`. */
  pruneSessions(idleBeforeMs: number, createdBeforeMs: number): void;
  /** Throws when the database cannot answer now (readiness). */
  ping(): void;
  /** The nodes held by runs of unknown outcome whose hold lasts past `nowMs`. */
  heldNodes(nowMs: number): { jobId: string; node: string; untilMs: number }[];
  /** An operator releases the node an outcome_unknown job holds; false when it held none. */
  releaseHeldNode(jobId: string): boolean;
  /**
   * A resolve: queued jobs of automatic runs for the firing alert with this fingerprint become
   * `cancelled` with `reason` (one Result each, from `result`). Returns them as stored.
   */
  cancelQueuedForAlert(
    fingerprint: string,
    startsAt: string,
    reason: string,
    at: string,
    result: (job: Job) => Result,
  ): Job[];
  /** The pause switch (null: not paused); it lives here so it survives a restart. */
  getPause(): PauseState | null;
  setPause(pause: PauseState | null): void;
  listBreakers(): BreakerState[];
  /** Applies `change` to a rule's breaker (a closed one when none is stored) in one transaction. */
  updateBreaker(
    rule: string,
    change: (current: BreakerState) => BreakerState,
  ): { before: BreakerState; after: BreakerState };
  /**
   * Forgets admitted runs older than `beforeMs` (epoch ms) that no guard window reaches any more,
   * at most `limit` rows per call (short transactions beside the webhooks). Returns how many.
   */
  pruneGuardRuns(beforeMs: number, limit: number): number;
  audit(record: AuditRecord): void;
  listAudit(limit: number): AuditRecord[];
  /** Read-only: the audit log filtered by time, actor and action, newest first. */
  queryAudit(filter: AuditFilter): AuditEntry[];
  /** A succeeded rule run starts its verification, `pending`; false (nothing written) when the run has one. */
  startVerification(v: NewVerification): boolean;
  /** The verification of a rule run (its chain id), or null. */
  getVerification(chainId: string): Verification | null;
  /** Every pending verification, earliest deadline first (the watcher's work, also after a restart). */
  pendingVerifications(): Verification[];
  /**
   * The verdict on a pending verification, atomically: null (nothing written) when it is no longer
   * pending, so a resolve and the window's end racing give one verdict. Returns it as stored.
   */
  finishVerification(
    chainId: string,
    status: Exclude<VerificationStatus, 'pending'>,
    summary: string,
    at: string,
    resolvedAt: string | null,
  ): Verification | null;
  /**
   * Automatic rule runs created at or after `sinceIso`: per run (chain), its rule and the statuses of
   * its steps in step order (`on_failure:` steps, numbered from 1000, left out). For the rule stats.
   */
  ruleRuns(sinceIso: string): { rule: string; chainId: string; statuses: JobStatus[] }[];
  /** Verifications started at or after `sinceIso`, oldest first (the rule stats). */
  listVerifications(sinceIso: string): Verification[];
  /** The jobs of one rule run (its chain id), in step order. */
  jobsOfChain(chainId: string): Job[];
  /** Records the silence taken for a rule run (or that taking it failed); false when the run has one. */
  startRunSilence(s: NewRunSilence): boolean;
  /** The silence of a rule run, or null. */
  getRunSilence(chainId: string): RunSilence | null;
  /** Every `active` run silence, oldest first (the silencer's work, also after a restart). */
  activeRunSilences(): RunSilence[];
  /** An active silence was extended (Alertmanager may have given it a new id); false when no longer active. */
  extendRunSilence(chainId: string, silenceId: string, alertmanager: string, endsAt: string): boolean;
  /** An active silence ends (`expired`, with the error if expiring it failed); null when it was not active. */
  endRunSilence(chainId: string, at: string, error: string | null): RunSilence | null;
  close(): void;
}
