import type { NodeSpec } from '../config/config-types';

/**
 * The inventory nodes a rule could touch, the base of `blast_radius: {max_percent}`. Pure.
 *
 * A literal node (no template) names one host: 1. A templated node can be any
 * host the alert names, so it could touch every non-glob entry; glob entries are families of
 * unknown size and are not counted. Never less than 1, so a percentage always admits one node.
 */
export function countTouchableNodes(nodeTemplate: string | undefined, nodes: readonly NodeSpec[]): number {
  if (nodeTemplate !== undefined && !nodeTemplate.includes('{{')) return 1;
  const fixed = nodes.filter((n) => !/[*?]/.test(n.name)).length;
  return Math.max(1, fixed);
}
