import { isDeepStrictEqual } from 'node:util';
import type { Job } from '../core/job';
import type { Invocation } from '../core/types';

/** One step a rule would run (or ran) for an alert. */
export interface Decision {
  step: number;
  action: string;
  node: string;
  params: Record<string, unknown>;
}

/** A job as it happened: the decision, and what became of it. */
export interface ActualStep extends Decision {
  job_id: string;
  status: string;
  reason: string | null;
}

/** How one rule's decision for one alert differs between what happened and the new rules. */
export type RuleChange =
  /** The new rules run it; nothing ran before. */
  | { kind: 'new'; rule: string; after: Decision[] }
  /** It ran (or was skipped by a guard); the new rules would not run it. */
  | { kind: 'removed'; rule: string; before: ActualStep[] }
  /** Both run it, with another action, node, params or steps. */
  | { kind: 'changed'; rule: string; before: ActualStep[]; after: Decision[] }
  | { kind: 'same'; rule: string; before: ActualStep[] };

const decisionOf = (d: Decision): Decision => ({ step: d.step, action: d.action, node: d.node, params: d.params });

/**
 * Compares, rule by rule, the invocations the new rules give for an alert with the jobs its
 * episode actually has in the store. Pure. Guards are not replayed: a job a guard skipped counts
 * as the rule's decision (its status says it was skipped).
 */
export function compareDecisions(
  now: readonly Invocation[],
  actual: ReadonlyMap<string, readonly Job[]>,
): RuleChange[] {
  const rules = [...new Set([...now.map((i) => i.rule), ...actual.keys()])].sort();
  return rules.flatMap((rule): RuleChange[] => {
    const after = now
      .filter((i) => i.rule === rule)
      .map((i) => decisionOf(i))
      .sort((a, b) => a.step - b.step);
    const before = [...(actual.get(rule) ?? [])]
      .sort((a, b) => a.step - b.step)
      .map((j): ActualStep => ({
        step: j.step,
        action: j.request.action,
        node: j.request.node,
        params: j.request.params,
        job_id: j.id,
        status: j.status,
        reason: j.reason,
      }));
    if (before.length === 0 && after.length === 0) return [];
    if (before.length === 0) return [{ kind: 'new', rule, after }];
    if (after.length === 0) return [{ kind: 'removed', rule, before }];
    const same = before.length === after.length && before.every((b, i) => isDeepStrictEqual(decisionOf(b), after[i]));
    return [same ? { kind: 'same', rule, before } : { kind: 'changed', rule, before, after }];
  });
}
