import type { PluginRegistry } from '../plugins/load-registry';
import type { NewJob } from '../core/job';
import type { Alert, Invocation, Trigger } from '../core/types';
import { byRule, chainJobs } from './chain-jobs';

export interface ManualRuleJobsDeps {
  registry: PluginRegistry;
  /** A rendered node's inventory name (docs/safety.md, Node identity). */
  canonicalNode: (asked: string) => string;
  now: () => Date;
  newId: () => string;
  newTraceId: () => string;
  dryRun: boolean;
  /** Notifiers every run reports to besides the rule's own (the incident the run came from). */
  alsoNotify: string[];
}

/**
 * Matched rules → one chain of jobs per rule (its steps in order), run by hand: no dedup key and no
 * guards, like a manual API run (docs/safety.md: guards are for automatic runs), but with the
 * rule, the alert and the incident kept so the Result is noted where the run was asked for.
 */
export function manualRuleJobs(
  invocations: readonly Invocation[],
  alert: Alert,
  trigger: Omit<Trigger, 'rule'>,
  deps: ManualRuleJobsDeps,
): Map<string, NewJob[]> {
  const chains = new Map<string, NewJob[]>();
  for (const [rule, steps] of byRule(invocations)) {
    const common = {
      alert,
      chainId: deps.newId(),
      traceId: deps.newTraceId(),
      createdAt: deps.now().toISOString(),
      newId: deps.newId,
      dryRun: deps.dryRun,
      registry: deps.registry,
      canonicalNode: deps.canonicalNode,
    };
    chains.set(rule, chainJobs(steps, { ...common, trigger: { ...trigger, rule }, alsoNotify: deps.alsoNotify }));
  }
  return chains;
}
