import { RuneError } from '../core/errors';
import type { Actor } from '../auth/actor';
import type { FailedAuthLimiter } from '../auth/failed-auth-limiter';
import type { Logger } from '../core/logger';
import type { GuardCounters } from '../guards/guard-counters';
import type { JobQueue } from '../jobs/job-queue-types';
import type { GroupCommit } from '../store/create-group-committer';
import type { Store } from '../store/store';
import type { RuneMetrics } from './create-metrics';
import type { Runtime } from './runtime';
import type { Verifier } from './verify-runs';

/** PagerDuty's REST API as the use cases need it; null when no REST token is configured. */
export interface PagerDutyAccess {
  /** GET /incidents/{id}/alerts (docs/protocols.md §2.7): the parsed body. */
  getIncidentAlerts(incidentId: string): Promise<unknown>;
  /** POST /incidents/{id}/notes; absent when notify.pagerduty cannot post (no `from`). */
  createNote?(incidentId: string, content: string): Promise<void>;
}

/**
 * Everything a use case may touch, passed in (docs/architecture.md 4): the store, the queue, the
 * rules and plugins of the moment, the clock and ids. Built once by openService(); HTTP routes,
 * the dashboard and tests call the use cases with it.
 */
export interface AppContext {
  store: Store;
  queue: JobQueue;
  /** Writes job groups of one event-loop turn in one transaction (store/create-group-committer.ts). */
  commit: GroupCommit;
  /** The rules file and plugins of the moment; replaced as a whole by a reload. */
  runtime(): Runtime;
  pagerduty(): PagerDutyAccess | null;
  /** API tokens (RUNE_API_TOKENS_FILE): the token's Actor, or null. Re-read on reload. */
  authenticate(credential: string): Actor | null;
  /** The same, from the token's SHA-256 (hex): a dashboard session's token, re-checked on each request. */
  authenticateHash(hashHex: string): Actor | null;
  /** Failed authentications per source address (API, webhooks, dashboard sign-in share it). */
  failedAuth: FailedAuthLimiter;
  counters: GuardCounters;
  /** Watches succeeded rule runs whose rule has verify: (docs/rules.md, verify). */
  verifier: Verifier;
  metrics: RuneMetrics;
  log: Logger;
  now(): Date;
  newId(): string;
  newTraceId(): string;
  /** Waits `ms`; rejects at once when RUNE starts shutting down (see `stopping`). */
  sleep(ms: number): Promise<void>;
  /** Aborted when RUNE starts shutting down: background work stops and leaves its state for the next start. */
  stopping: AbortSignal;
  /** `rune serve --dry-run`: every job is a RUNE dry run (plan only). */
  dryRun: boolean;
  /** RUNE_PUBLIC_URL, for links to job pages. */
  publicUrl: string;
  /** RUNE_SSH_USER or the OS user, for node resolution. */
  fallbackUser: string;
  /** Store each notification's alerts for `rune rules replay` (RUNE_WEBHOOK_RETENTION_COUNT=0: no). */
  recordWebhooks: boolean;
  /** False while shutting down: new work is refused with SHUTTING_DOWN (senders retry). */
  accepting(): boolean;
  /** Work that goes on after the answer (a PagerDuty lookup): shutdown waits for it, errors are logged. */
  inBackground(work: Promise<void>): void;
}

/** New work while shutting down is refused with SHUTTING_DOWN (503: Alertmanager and PagerDuty retry). */
export function requireAccepting(ctx: Pick<AppContext, 'accepting'>): void {
  if (!ctx.accepting()) throw new RuneError('SHUTTING_DOWN', 'RUNE is shutting down; retry later');
}
