/** Failed authentications per source address (docs/security.md, Rate limiting). */
export interface FailedAuthLimiter {
  /** Seconds to wait when `source` is over the limit now, else 0. */
  blockedFor(source: string): number;
  /** Records a failure; true when this one crossed the limit (log it once). */
  fail(source: string): boolean;
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
 * A fixed window per address, in memory. Only failures count, so a client that authenticates is
 * never slowed; an address over the limit gets 429 until its window ends, even with a good token
 * (otherwise the limit would not stop guessing). Bounded: a flood of addresses cannot grow it.
 */
export function createFailedAuthLimiter(o: FailedAuthLimiterOptions): FailedAuthLimiter {
  const max = o.max ?? 10;
  const windowMs = o.windowMs ?? 60_000;
  const maxEntries = o.maxEntries ?? 10_000;
  const windows = new Map<string, { start: number; failures: number }>();
  const current = (source: string) => {
    const w = windows.get(source);
    if (w && o.now() - w.start >= windowMs) {
      windows.delete(source);
      return undefined;
    }
    return w;
  };
  return {
    blockedFor(source) {
      const w = current(source);
      if (!w || w.failures < max) return 0;
      return Math.max(1, Math.ceil((w.start + windowMs - o.now()) / 1000));
    },
    fail(source) {
      let w = current(source);
      if (!w) {
        if (windows.size >= maxEntries) windows.delete(windows.keys().next().value as string); // oldest first
        w = { start: o.now(), failures: 0 };
        windows.set(source, w);
      }
      w.failures++;
      return w.failures === max;
    },
  };
}
