/**
 * Whether a rule run fixed its alert (docs/rules.md, verify): after the chain succeeded, RUNE
 * watches the alert for `verify.within`. Shared by the store, the use cases, the API, the
 * dashboard and the CLI.
 */

/** `pending` while watching; `verified` once the alert resolved in the window; `not_fixed` after it. */
export type VerificationStatus = 'pending' | 'verified' | 'not_fixed';

export const VERIFICATION_STATUSES: readonly VerificationStatus[] = ['pending', 'verified', 'not_fixed'];

/** One rule run's verification, keyed by its chain (one per rule run). */
export interface Verification {
  chainId: string;
  rule: string;
  /** The last job of the run: follow-up notes are delivered with it. */
  jobId: string;
  /** The action of that job, for the note ("resolved 2m10s after restart-docker"). */
  action: string;
  node: string;
  /** The firing episode watched: its fingerprint, startsAt (as sent) and labels. */
  fingerprint: string;
  startsAt: string;
  labels: Record<string, string>;
  /** verify.query (a PromQL instant query; empty result = fixed), or null. */
  query: string | null;
  status: VerificationStatus;
  /** ISO 8601: when the run ended and watching began; the window's end. */
  startedAt: string;
  deadline: string;
  /** ISO 8601: when the verdict was taken (null while pending). */
  finishedAt: string | null;
  /** ISO 8601: when the alert was seen resolved (its endsAt when a notification said), else null. */
  resolvedAt: string | null;
  /** One line: "fixed: resolved 2m10s after restart-docker", "not fixed: still firing 10m after …". */
  summary: string | null;
}

/** What starts a verification; the rest is set by the store (`pending`, no verdict yet). */
export type NewVerification = Omit<Verification, 'status' | 'finishedAt' | 'resolvedAt' | 'summary'>;

/**
 * The Alertmanager silence RUNE holds for a rule run while it repairs (docs/rules.md, silence):
 * `active` from before the first mutating step, `expired` once the run (or its verification) ended,
 * `failed` when no Alertmanager took it (the run went on unsilenced).
 */
export interface RunSilence {
  chainId: string;
  rule: string;
  /** The first mutating job: the one the silence was taken before. */
  jobId: string;
  /** Alertmanager's id; null when it failed. */
  silenceId: string | null;
  /** The Alertmanager URL that took it (asked first to update or expire it). */
  alertmanager: string | null;
  labels: Record<string, string>;
  during: 'run' | 'until_verified';
  status: 'active' | 'expired' | 'failed';
  startedAt: string;
  /** Its current end in Alertmanager (extended while the run goes on), never past maxUntil. */
  endsAt: string;
  maxUntil: string;
  expiredAt: string | null;
  /** Why it failed, or why expiring it did (Alertmanager ends it at endsAt by itself then). */
  error: string | null;
}

export type NewRunSilence = Omit<RunSilence, 'expiredAt'>;
