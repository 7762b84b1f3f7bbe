/** Shared vocabulary of the guards (docs/architecture.md, Safety guards; docs/safety.md). */

/** A rule's guards with defaults applied and durations in milliseconds (resolveRuleGuards). */
export interface RuleGuards {
  rule: string;
  /** One run per node per window; null: none. */
  cooldownMs: number | null;
  budget: { maxRuns: number; perMs: number } | null;
  /** Distinct nodes per window; a percentage is already turned into a node count. */
  blastRadius: { maxNodes: number; perMs: number; describe: string } | null;
  breaker: { failures: number; probeAfterMs: number };
  /** A resolve stops this rule's running read-only steps for that alert episode. */
  cancelRunningOnResolve: boolean;
}
