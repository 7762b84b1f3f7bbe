import { closedBreaker, type BreakerState } from '../core/guard-state';

/** How a rule run (its chain of steps) ended, as the breaker counts it. */
export interface RunEnd {
  chainId: string;
  ok: boolean;
  /** One line for the note and the API when it failed. */
  summary: string;
}

export interface BreakerChange {
  next: BreakerState;
  /** It opened now (from closed, or a failed probe re-opened it): post a note, log it. */
  opened: boolean;
  /** A probe succeeded: closed again. */
  closed: boolean;
}

/**
 * The circuit breaker's step after a rule run ended. Pure.
 * closed: a failure counts, `failures` in a row open it; a success resets the count.
 * open: runs that were already under way when it opened change nothing (only an operator or a probe closes it).
 * half_open: only the probe's outcome counts: success closes, failure re-opens (a new probe_after).
 */
export function nextBreakerState(
  current: BreakerState,
  run: RunEnd,
  failuresToOpen: number,
  now: number,
): BreakerChange {
  const same = { opened: false, closed: false };
  /** Open now, after `failures` in a row; a later probe is let through after probe_after. */
  const open = (failures: number): BreakerChange => ({
    next: {
      ...current,
      state: 'open',
      failures,
      openedAt: now,
      probeChain: null,
      probeAt: null,
      lastFailure: run.summary,
    },
    opened: true,
    closed: false,
  });
  if (current.state === 'closed') {
    if (run.ok) return { next: { ...current, failures: 0, lastFailure: null }, ...same };
    const failures = current.failures + 1;
    if (failures < failuresToOpen) return { next: { ...current, failures, lastFailure: run.summary }, ...same };
    return open(failures);
  }
  if (current.state === 'half_open' && run.chainId === current.probeChain) {
    if (run.ok) return { next: closedBreaker(current.rule), opened: false, closed: true };
    return open(current.failures + 1);
  }

  return { next: current, ...same };
}
