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
