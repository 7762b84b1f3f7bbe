/** Failed authentications per source address (docs/security.md, Rate limiting). */
export interface FailedAuthLimiter {
  /**
   * Records a failed authentication from `source` and says how to answer it: `retryAfterS` > 0 when
   * the address was already over the limit (answer 429 with that Retry-After), else 0 (answer 401);
   * `reachedNow` is true for the failure that reached the limit (log it once).
   */
  fail(source: string): { retryAfterS: number; reachedNow: boolean };
}

export interface FailedAuthLimiterOptions {
  /** Failures allowed per window and address; default 10. */
  max?: number;
  /** Default one minute. */
  windowMs?: number;
  /** Addresses remembered at most; the oldest window is forgotten first. Default 10 000. */
  maxEntries?: number;
  now: () => number;
}

/**
 * A fixed window per address, in memory. Only failures are counted and only failures are answered
 * with 429: there is no "is this address blocked?" to ask before a credential is checked, so a
 * request that authenticates is never refused or slowed by its neighbours' failures. Bounded: a
 * flood of addresses cannot grow it.
 */
export function createFailedAuthLimiter(o: FailedAuthLimiterOptions): FailedAuthLimiter {
  const max = o.max ?? 10;
  const windowMs = o.windowMs ?? 60_000;
  const maxEntries = o.maxEntries ?? 10_000;
  const windows = new Map<string, { start: number; failures: number }>();
  return {
    fail(source) {
      const t = o.now();
      let w = windows.get(source);
      if (w && t - w.start >= windowMs) {
        windows.delete(source);
        w = undefined;
      }
      if (!w) {
        if (windows.size >= maxEntries) windows.delete(windows.keys().next().value as string); // oldest first
        w = { start: t, failures: 0 };
        windows.set(source, w);
      }
      const over = w.failures >= max;
      w.failures++;
      return {
        retryAfterS: over ? Math.max(1, Math.ceil((w.start + windowMs - t) / 1000)) : 0,
        reachedNow: w.failures === max,
      };
    },
  };
}
