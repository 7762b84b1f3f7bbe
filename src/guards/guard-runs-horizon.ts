import type { RuleGuards } from './types';

/** Admitted runs are kept at least this long, so a reload that widens a window finds its history. */
export const MIN_GUARD_HISTORY_MS = 24 * 60 * 60_000;

/**
 * How far back the guards read `guard_runs`: the longest cooldown, budget or blast-radius window
 * of any rule, and never less than MIN_GUARD_HISTORY_MS. Older rows can be pruned. Pure.
 */
export function guardRunsHorizonMs(guards: Iterable<RuleGuards>): number {
  let horizon = MIN_GUARD_HISTORY_MS;
  for (const g of guards)
    horizon = Math.max(horizon, g.cooldownMs ?? 0, g.budget?.perMs ?? 0, g.blastRadius?.perMs ?? 0);
  return horizon;
}
