import type { RuleSpec } from '../../../src/config/config-types';
import { countTouchableNodes } from '../../../src/guards/count-touchable-nodes';
import { nodeLockWaitMs, resolveRuleGuards } from '../../../src/guards/resolve-rule-guards';

const rule = (over: Partial<RuleSpec> = {}): RuleSpec => ({
  name: 'r',
  matchers: ['a="b"'],
  steps: [{ action: 'noop' }],
  ...over,
});
const nodes = [{ name: 'web-1' }, { name: 'web-2' }, { name: 'db-1' }, { name: 'ip-10-*' }, { name: 'web-3' }];

test('nothing set: no cooldown, budget or blast radius; breaker 3 failures / 15m; node lock wait 10m', () => {
  expect(resolveRuleGuards(rule(), undefined, nodes)).toEqual({
    rule: 'r',
    cooldownMs: null,
    budget: null,
    blastRadius: null,
    breaker: { failures: 3, probeAfterMs: 900_000 },
    cancelRunningOnResolve: false,
  });
  expect(nodeLockWaitMs(undefined)).toBe(600_000);
  expect(nodeLockWaitMs({ node_lock_wait: '30s' })).toBe(30_000);
});

test("a rule's own guard wins over defaults.guards; breaker fields merge", () => {
  const defaults = { cooldown: '10m', budget: { max_runs: 9, per: '1h' }, breaker: { failures: 5, probe_after: '1h' } };
  const g = resolveRuleGuards(rule({ cooldown: '30m', breaker: { failures: 2 } }), defaults, nodes);
  expect(g).toMatchObject({
    cooldownMs: 1_800_000,
    budget: { maxRuns: 9, perMs: 3_600_000 },
    breaker: { failures: 2, probeAfterMs: 3_600_000 },
  });
  expect(resolveRuleGuards(rule({ cooldown: '0s' }), defaults, nodes).cooldownMs).toBeNull();
});

test('cancel_running_on_resolve: off unless the rule or defaults.guards turns it on; the rule wins', () => {
  expect(resolveRuleGuards(rule(), undefined, nodes).cancelRunningOnResolve).toBe(false);
  expect(resolveRuleGuards(rule(), { cancel_running_on_resolve: true }, nodes).cancelRunningOnResolve).toBe(true);
  expect(
    resolveRuleGuards(rule({ cancel_running_on_resolve: false }), { cancel_running_on_resolve: true }, nodes)
      .cancelRunningOnResolve,
  ).toBe(false);
  expect(resolveRuleGuards(rule({ cancel_running_on_resolve: true }), undefined, nodes).cancelRunningOnResolve).toBe(
    true,
  );
});

test('blast radius: a count as written; a percentage of the nodes the rule could touch, at least one', () => {
  expect(resolveRuleGuards(rule({ blast_radius: { max_nodes: 3, per: '1h' } }), undefined, nodes).blastRadius).toEqual({
    maxNodes: 3,
    perMs: 3_600_000,
    describe: 'max 3 nodes per 1h',
  });
  // Templated node (the default): the 4 non-glob entries; 50% of 4 = 2.
  expect(
    resolveRuleGuards(rule({ blast_radius: { max_percent: 50, per: '1h' } }), undefined, nodes).blastRadius,
  ).toMatchObject({ maxNodes: 2, describe: 'max 2 nodes per 1h = 50% of 4 inventory nodes the rule could touch' });
  expect(
    resolveRuleGuards(rule({ blast_radius: { max_percent: 10, per: '1h' } }), undefined, nodes).blastRadius!.maxNodes,
  ).toBe(1);
  expect(countTouchableNodes('web-1', nodes)).toBe(1);
  expect(countTouchableNodes('{{ labels.nodename }}', nodes)).toBe(4);
  expect(countTouchableNodes(undefined, [{ name: 'ip-*' }])).toBe(1);
});
