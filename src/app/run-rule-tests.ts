import { isDeepStrictEqual } from 'node:util';
import type { RuneConfig } from '../config/config-types';
import { alertRef } from '../core/alert-ref';
import { resolveNode, type ResolveEnv } from '../orchestrator/resolve-node';
import { parseBareAlerts } from '../sources/parse-bare-alerts';
import type { CompiledRule } from '../rules/compile-rules';
import { matchRules } from '../rules/match-rules';
import type { ExpectedInvocation, RuleTestCase } from './read-rule-tests';

/** startsAt of test alerts that give none: fixed, so a case gives the same result every day. */
export const TEST_STARTS_AT = '2024-01-01T00:00:00Z';

/** An invocation the rules gave for a case, in the terms of `expect:`. */
export interface GotInvocation {
  rule: string;
  step: number;
  action: string;
  node: string;
  params: Record<string, unknown>;
}

export interface CaseResult {
  name: string;
  line: number | null;
  passed: boolean;
  expected: ExpectedInvocation[];
  got: GotInvocation[];
  /** The diff, one line each: `  ` equal, `- ` expected only, `+ ` got only. Empty when passed. */
  diff: string[];
  /** Matched rules that gave nothing (node rendered empty), and alerts that did not parse. */
  notes: string[];
}

const sameInvocation = (e: ExpectedInvocation, g: GotInvocation) =>
  e.rule === g.rule &&
  e.action === g.action &&
  e.node === g.node &&
  (e.params === undefined || isDeepStrictEqual(e.params, g.params));

export function formatInvocation(i: ExpectedInvocation | GotInvocation, withParams = true): string {
  const params = i.params === undefined || !withParams ? '' : ` ${JSON.stringify(i.params)}`;
  return `${i.rule}: ${i.action} on ${i.node}${params}`;
}

/**
 * Runs one case through the rule engine (matchRules) and the inventory (resolveNode): the node
 * compared is the inventory entry a run would go to, else the rendered name. Pure. Within a rule
 * the order is the steps' order; across rules it does not matter.
 */
export function runRuleTest(
  c: RuleTestCase,
  rules: readonly CompiledRule[],
  config: RuneConfig,
  env: ResolveEnv,
): CaseResult {
  const notes: string[] = [];
  const parsed = parseBareAlerts(c.alerts, TEST_STARTS_AT, 'alerts');
  const got: GotInvocation[] = [];
  if (!parsed.ok) notes.push(...parsed.problems.map((p) => `alert not understood: ${p}`));
  else {
    for (const alert of parsed.alerts) {
      const { invocations, problems } = matchRules(rules, alert);
      notes.push(...problems.map((p) => `rule ${p.rule}: ${p.message}`));
      for (const inv of invocations) {
        let node = inv.node;
        try {
          node = resolveNode(config, inv.node, env, undefined, alertRef(alert)).node;
        } catch {
          notes.push(
            `rule ${inv.rule}: node ${JSON.stringify(inv.node)} is not in the inventory ` +
              '(a run would fail with UNKNOWN_NODE)',
          );
        }
        got.push({ rule: inv.rule, step: inv.step, action: inv.action, node, params: inv.params });
      }
    }
  }
  const ruleNames = [...new Set([...c.expect.map((e) => e.rule), ...got.map((g) => g.rule)])].sort();
  const diff: string[] = [];
  let passed = parsed.ok;
  for (const rule of ruleNames) {
    const e = c.expect.filter((x) => x.rule === rule);
    const g = got.filter((x) => x.rule === rule);
    for (let i = 0; i < Math.max(e.length, g.length); i++) {
      const ei = e[i];
      const gi = g[i];
      if (ei && gi && sameInvocation(ei, gi)) diff.push(`  ${formatInvocation(gi, ei.params !== undefined)}`);
      else {
        passed = false;
        if (ei) diff.push(`- ${formatInvocation(ei)}`);
        if (gi) diff.push(`+ ${formatInvocation(gi)}`);
      }
    }
  }
  return { name: c.name, line: c.line, passed, expected: c.expect, got, diff: passed ? [] : diff, notes };
}
