import type { PluginRegistry } from '../plugins/load-registry';
import type { NewJob } from '../core/job';
import type { Alert, Invocation, Trigger } from '../core/types';

/** A rule's invocations, grouped by rule, each group in step order. */
export function byRule(invocations: readonly Invocation[]): Map<string, Invocation[]> {
  const out = new Map<string, Invocation[]>();
  for (const inv of invocations) out.set(inv.rule, [...(out.get(inv.rule) ?? []), inv]);
  for (const steps of out.values()) steps.sort((a, b) => a.step - b.step);
  return out;
}

/**
 * One rule run as a chain of jobs, its steps in order: each waits for the one before, and stops
 * the chain when that one fails unless it said continue_on_error (docs/architecture.md). One trace id for
 * the whole run. Used by automatic runs (ingest-alerts) and runs asked for by hand
 * (manual-rule-jobs) alike.
 */
export function chainJobs(
  steps: readonly Invocation[],
  o: {
    trigger: Trigger;
    alert: Alert;
    chainId: string;
    traceId: string;
    createdAt: string;
    newId: () => string;
    dryRun: boolean;
    registry: PluginRegistry;
    /** The inventory name of a rendered node (docs/safety.md, Node identity); locks and guards key on it. */
    canonicalNode: (asked: string) => string;
    alsoNotify?: readonly string[];
  },
): NewJob[] {
  const jobs: NewJob[] = [];
  steps.forEach((inv, i) => {
    const previous = i > 0 ? steps[i - 1] : undefined;
    jobs.push({
      id: o.newId(),
      traceId: o.traceId,
      request: nodeRequest(inv, o.canonicalNode(inv.node), o.dryRun),
      trigger: o.trigger,
      alert: o.alert,
      incident: o.alert.incident ?? null,
      chainId: o.chainId,
      step: inv.step,
      after: i > 0 ? (jobs[i - 1] as NewJob).id : null,
      // "stop at the first failure unless continue_on_error": the flag is on the step that failed.
      stopOnFailureOf: previous ? !previous.continueOnError : true,
      notify: o.alsoNotify?.length ? [...new Set([...inv.notify, ...o.alsoNotify])] : inv.notify,
      // Unknown actions count as mutating: the safe side for the per-node lock. They fail at validate anyway.
      mutating: o.registry.plugins.get(inv.action)?.mutating ?? true,
      createdAt: o.createdAt,
    });
  });
  return jobs;
}

/** A step's request on its canonical node, keeping the rendered spelling when it differs. */
function nodeRequest(inv: Invocation, node: string, dryRun: boolean): NewJob['request'] {
  const asked = inv.node === node ? {} : { askedNode: inv.node };
  return { action: inv.action, node, ...asked, params: inv.params, dryRun, pluginDryRun: false };
}
