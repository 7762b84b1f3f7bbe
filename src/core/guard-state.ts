/**
 * The guards' state as the Store keeps it (pause switch, circuit breakers) and the facts it reads for
 * one decision (docs/safety.md). Shared by guards/ (pure decisions) and store/ (the Store contract).
 */

/** The pause switch: automatic runs stop while it is set (survives a restart: it is in the store). */
export interface PauseState {
  since: string;
  actor: string;
  reason: string;
}

export type BreakerPosition = 'closed' | 'open' | 'half_open';

/** A rule's circuit breaker as stored. */
export interface BreakerState {
  rule: string;
  state: BreakerPosition;
  /** Failed rule runs in a row (reset by a success or an operator's close). */
  failures: number;
  /** When it opened (epoch ms); null while closed. */
  openedAt: number | null;
  /** The chain (rule run) let through as the half-open probe, and when. */
  probeChain: string | null;
  probeAt: number | null;
  /** The summary of the last failed run, for the note and the API. */
  lastFailure: string | null;
}

export function closedBreaker(rule: string): BreakerState {
  return { rule, state: 'closed', failures: 0, openedAt: null, probeChain: null, probeAt: null, lastFailure: null };
}

/** What the store reads, inside the transaction that inserts the jobs, for one decision. */
export interface GuardFacts {
  pause: PauseState | null;
  breaker: BreakerState | null;
  /** Last admitted run of this rule on this node (epoch ms), when a cooldown is set. */
  lastRunOnNode: number | null;
  /** Admitted runs of this rule since now - budget.per. */
  runsInBudgetWindow: number;
  /** Distinct nodes of this rule's admitted runs since now - blast_radius.per, and whether this node is one. */
  nodesInBlastWindow: number;
  nodeInBlastWindow: boolean;
}

/** Which windows the store must look at (ms; null: not configured, nothing to read). */
export interface GuardWindows {
  cooldownMs: number | null;
  budgetMs: number | null;
  blastMs: number | null;
}

export type GuardVerdict = { admit: true; probe: boolean } | { admit: false; reason: string };
