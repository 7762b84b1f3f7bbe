import type { DefaultGuardsSpec, NodeSpec, RuleSpec } from '../config/config-types';
import { parseDuration } from '../util/duration';
import { countTouchableNodes } from './count-touchable-nodes';
import type { RuleGuards } from './types';
import { DEFAULT_NODE_LOCK_WAIT_MS } from '../jobs/job-queue-types';

/** Breaker defaults when neither the rule nor defaults.guards says otherwise (docs/safety.md). */
export const DEFAULT_BREAKER = { failures: 3, probeAfterMs: 15 * 60_000 };

/** Durations here passed the schema's pattern, so parseDuration cannot fail; 0 stays 0. */
const ms = (d: string): number => parseDuration(d) ?? 0;

/**
 * A rule's guards: its own value of each guard, else defaults.guards, else none (the breaker:
 * 3 failures, 15m probe). Pure. A percentage blast radius becomes a node count here, from the
 * inventory nodes the rule could touch (countTouchableNodes), at least one.
 */
export function resolveRuleGuards(
  rule: RuleSpec,
  defaults: DefaultGuardsSpec | undefined,
  nodes: readonly NodeSpec[],
): RuleGuards {
  const d = defaults ?? {};
  const cooldown = rule.cooldown ?? d.cooldown;
  const budget = rule.budget ?? d.budget;
  const blast = rule.blast_radius ?? d.blast_radius;
  const breaker = { ...d.breaker, ...rule.breaker };
  let blastRadius: RuleGuards['blastRadius'] = null;
  if (blast !== undefined) {
    if (blast.max_nodes !== undefined)
      blastRadius = {
        maxNodes: blast.max_nodes,
        perMs: ms(blast.per),
        describe: `max ${blast.max_nodes} nodes per ${blast.per}`,
      };
    else {
      const pct = blast.max_percent ?? 100;
      const touchable = countTouchableNodes(rule.node, nodes);
      const maxNodes = Math.max(1, Math.floor((touchable * pct) / 100));
      blastRadius = {
        maxNodes,
        perMs: ms(blast.per),
        describe:
          `max ${maxNodes} nodes per ${blast.per} = ${pct}% of ${touchable} ` + 'inventory nodes the rule could touch',
      };
    }
  }
  const cooldownMs = cooldown === undefined ? null : ms(cooldown);
  return {
    rule: rule.name,
    cooldownMs: cooldownMs === 0 ? null : cooldownMs,
    budget: budget === undefined ? null : { maxRuns: budget.max_runs, perMs: ms(budget.per) },
    blastRadius,
    breaker: {
      failures: breaker.failures ?? DEFAULT_BREAKER.failures,
      probeAfterMs: breaker.probe_after === undefined ? DEFAULT_BREAKER.probeAfterMs : ms(breaker.probe_after),
    },
    cancelRunningOnResolve: rule.cancel_running_on_resolve ?? d.cancel_running_on_resolve ?? false,
  };
}

export function nodeLockWaitMs(defaults: DefaultGuardsSpec | undefined): number {
  return defaults?.node_lock_wait === undefined ? DEFAULT_NODE_LOCK_WAIT_MS : ms(defaults.node_lock_wait);
}
