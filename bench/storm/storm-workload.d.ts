/** Types of bench/storm/storm-workload.js (the storm generator and exactly-once check). */

export const FIRING_RULE: 'storm-firing';
export const RESOLVED_RULE: 'storm-resolved';
export const JOBS_SQL: string;

export interface StormOptions {
  seed?: number;
  notifications?: number;
  /** Share of notifications that are byte-identical re-sends of earlier ones (default 0.8). */
  duplicates?: number;
  alertnames?: number;
  instances?: number;
  maxAlerts?: number;
  /** Chance that a picked alert flips state (firing → resolved → firing with a new startsAt). */
  flap?: number;
  resendWindow?: number;
  stepMs?: number;
  start?: number;
}

export interface StormAlert {
  fingerprint: string;
  startsAt: string;
  status: 'firing' | 'resolved';
}

export interface StormNotification {
  body: Buffer;
  resendOf: number | null;
  alerts: StormAlert[];
}

export interface Storm {
  notifications: StormNotification[];
  truth: { firing: Set<string>; resolved: Set<string> };
  stats: {
    notifications: number;
    resends: number;
    fresh: number;
    alerts: number;
    firingEpisodes: number;
    resolvedEpisodes: number;
    bodyBytes: number;
  };
}

export interface StormAnswer {
  status: number;
  jobs?: string[];
  duplicates?: string[];
  unmatched?: number;
  problems?: unknown[];
}

export interface StoredJob {
  id: string;
  rule: string | null;
  fingerprint: string | null;
  startsAt: string | null;
  status: string | null;
  /** The job's own status (queued, succeeded, cancelled, …) and reason, when read (JOBS_SQL). */
  jobStatus?: string;
  reason?: string | null;
}

export interface ExactlyOnceVerdict {
  ok: boolean;
  notifications: number;
  answered202: number;
  errors: number;
  statuses: Record<string, number>;
  unanswered: number;
  alertsAnswered: number;
  expectedEpisodes: { firing: number; resolved: number };
  truthEpisodes: { firing: number; resolved: number };
  jobs: number;
  jobsByRule: Record<string, number>;
  newReported: number;
  duplicatesReported: number;
  missing: number;
  doubled: number;
  unexpected: number;
  wrongRule: number;
  answerMismatches: number;
  reportedNewTwice: number;
  countMismatch: boolean;
  byJobStatus: Record<string, number>;
  /** Firing jobs cancelled by the resolve of an earlier episode of the same alert. */
  staleCancels: number;
  samples: { missing: string[]; doubled: string[]; unexpected: string[]; answer: unknown; staleCancels: string[] };
}

export function generateStorm(opts?: StormOptions): Storm;
export function rulesYaml(): string;
export function checkExactlyOnce(input: {
  notifications: StormNotification[];
  truth: Storm['truth'];
  answers: (StormAnswer | null | undefined)[];
  jobs: StoredJob[];
}): ExactlyOnceVerdict;
export function episodeId(fingerprint: string, startsAt: string): string;
export function fingerprint(labels: Record<string, string>): string;
export function prng(seed: number): () => number;
