import type { PluginRegistry } from '../plugins/load-registry';
import type { NewJob } from '../store/store';
import type { Alert, Invocation, Trigger } from '../types';

export interface ManualRuleJobsDeps {
  registry: PluginRegistry;
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
export function manualRuleJobs(invocations: readonly Invocation[], alert: Alert, trigger: Omit<Trigger, 'rule'>, deps: ManualRuleJobsDeps): Map<string, NewJob[]> {
  const byRule = new Map<string, Invocation[]>();
  for (const inv of invocations) byRule.set(inv.rule, [...(byRule.get(inv.rule) ?? []), inv]);
  const chains = new Map<string, NewJob[]>();
  for (const [rule, steps] of byRule) {
    steps.sort((a, b) => a.step - b.step);
    const chainId = deps.newId();
    const traceId = deps.newTraceId();
    const createdAt = deps.now().toISOString();
    const jobs: NewJob[] = [];
    steps.forEach((inv, i) => {
      const previous = i > 0 ? steps[i - 1] : undefined;
      jobs.push({
        id: deps.newId(),
        traceId,
        request: { action: inv.action, node: inv.node, params: inv.params, dryRun: deps.dryRun, pluginDryRun: false },
        trigger: { ...trigger, rule },
        alert,
        incident: alert.incident ?? null,
        chainId,
        step: inv.step,
        after: i > 0 ? (jobs[i - 1] as NewJob).id : null,
        stopOnFailureOf: previous ? !previous.continueOnError : true,
        notify: [...new Set([...inv.notify, ...deps.alsoNotify])],
        mutating: deps.registry.plugins.get(inv.action)?.mutating ?? true,
        createdAt,
      });
    });
    chains.set(rule, jobs);
  }
  return chains;
}
