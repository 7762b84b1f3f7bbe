import type { GuardFacts, GuardVerdict } from '../core/guard-state';
import type { RuleGuards } from './types';
import { windowText } from '../util/duration';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Whether one automatic rule run (a rule matched an alert, on one node) may start. Pure: the
 * facts are read by the store inside the transaction that inserts the jobs, so two requests can
 * never both take the last unit of a budget. Checked in order; the first that refuses gives the
 * reason, and its prefix (`paused:`, `breaker_open:`, `cooldown:`, `budget:`, `blast_radius:`) is
 * the contract (docs/safety.md). Dedup happens before: a repeated episode is not a new decision.
 */
export function decideGuards(g: RuleGuards, node: string, facts: GuardFacts, now: number): GuardVerdict {
  if (facts.pause) {
    const why = facts.pause.reason ? ` (${facts.pause.reason})` : '';
    return {
      admit: false,
      reason: `paused: automatic runs are paused since ${facts.pause.since} by ${facts.pause.actor}${why}`,
    };
  }
  let probe = false;
  const b = facts.breaker;
  if (b && b.state !== 'closed') {
    // Half-open: one run is let through as a probe; another only if that probe went missing
    // (e.g. RUNE restarted while it ran) for as long again.
    const since = b.state === 'open' ? b.openedAt : b.probeAt;
    const probeAt = (since ?? now) + g.breaker.probeAfterMs;
    if (now < probeAt) {
      const state =
        b.state === 'open'
          ? `open since ${iso(b.openedAt ?? now)}`
          : `half-open, a probe run is under way since ${iso(b.probeAt ?? now)}`;
      return {
        admit: false,
        reason:
          `breaker_open: rule ${g.rule} failed ${b.failures} runs in a row; ${state}; ` +
          `next probe after ${iso(probeAt)} (or close it: rune breaker close ${g.rule})`,
      };
    }
    probe = true;
  }
  if (g.cooldownMs !== null && facts.lastRunOnNode !== null && now - facts.lastRunOnNode < g.cooldownMs) {
    return {
      admit: false,
      reason:
        `cooldown: rule ${g.rule} ran on ${node} at ${iso(facts.lastRunOnNode)}; ` +
        `cooldown ${windowText(g.cooldownMs)}, next run allowed after ${iso(facts.lastRunOnNode + g.cooldownMs)}`,
    };
  }
  if (g.budget !== null && facts.runsInBudgetWindow >= g.budget.maxRuns) {
    return {
      admit: false,
      reason:
        `budget: rule ${g.rule} used ${facts.runsInBudgetWindow} of ${g.budget.maxRuns} runs ` +
        `per ${windowText(g.budget.perMs)}`,
    };
  }
  if (g.blastRadius !== null && !facts.nodeInBlastWindow && facts.nodesInBlastWindow >= g.blastRadius.maxNodes) {
    return {
      admit: false,
      reason:
        `blast_radius: rule ${g.rule} already ran on ${facts.nodesInBlastWindow} nodes ` +
        `in the last ${windowText(g.blastRadius.perMs)} (${g.blastRadius.describe}); ${node} would be one more`,
    };
  }
  return { admit: true, probe };
}
