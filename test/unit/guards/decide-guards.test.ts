import { decideGuards } from '../../../src/guards/decide-guards';
import { closedBreaker, type GuardFacts } from '../../../src/core/guard-state';
import type { RuleGuards } from '../../../src/guards/types';

const NOW = Date.parse('2024-05-01T12:00:00.000Z');
const MIN = 60_000;
const none: RuleGuards = {
  rule: 'r',
  cooldownMs: null,
  budget: null,
  blastRadius: null,
  breaker: { failures: 3, probeAfterMs: 15 * MIN },
  cancelRunningOnResolve: false,
};
const quiet: GuardFacts = {
  pause: null,
  breaker: null,
  lastRunOnNode: null,
  runsInBudgetWindow: 0,
  nodesInBlastWindow: 0,
  nodeInBlastWindow: false,
};
const open = { ...closedBreaker('r'), state: 'open' as const, failures: 3, openedAt: NOW - 5 * MIN };

const reasonOf = (g: Partial<RuleGuards>, f: Partial<GuardFacts>) => {
  const v = decideGuards({ ...none, ...g }, 'web-1', { ...quiet, ...f }, NOW);
  return v.admit ? (v.probe ? 'probe' : 'admit') : v.reason.slice(0, v.reason.indexOf(':'));
};

test.each([
  ['nothing configured, nothing happened', {}, {}, 'admit'],
  ['paused', {}, { pause: { since: 'x', actor: 'alice', reason: 'maintenance' } }, 'paused'],
  [
    'paused wins over every other guard',
    { budget: { maxRuns: 1, perMs: MIN } },
    { pause: { since: 'x', actor: 'a', reason: '' }, breaker: open, runsInBudgetWindow: 9 },
    'paused',
  ],
  ['breaker open, probe not due', {}, { breaker: open }, 'breaker_open'],
  ['breaker open, probe due', {}, { breaker: { ...open, openedAt: NOW - 15 * MIN } }, 'probe'],
  [
    'half-open, probe under way',
    {},
    { breaker: { ...open, state: 'half_open' as const, probeAt: NOW - MIN } },
    'breaker_open',
  ],
  [
    'half-open, probe lost for probe_after',
    {},
    { breaker: { ...open, state: 'half_open' as const, probeAt: NOW - 16 * MIN } },
    'probe',
  ],
  [
    'a due probe still obeys the cooldown',
    { cooldownMs: 30 * MIN },
    { breaker: { ...open, openedAt: NOW - 20 * MIN }, lastRunOnNode: NOW - MIN },
    'cooldown',
  ],
  ['closed breaker with failures counted', {}, { breaker: { ...closedBreaker('r'), failures: 2 } }, 'admit'],
  ['cooldown: ran on this node 29m ago', { cooldownMs: 30 * MIN }, { lastRunOnNode: NOW - 29 * MIN }, 'cooldown'],
  ['cooldown: ran 30m ago exactly', { cooldownMs: 30 * MIN }, { lastRunOnNode: NOW - 30 * MIN }, 'admit'],
  ['cooldown set, never ran', { cooldownMs: 30 * MIN }, {}, 'admit'],
  ['budget: last unit', { budget: { maxRuns: 5, perMs: 60 * MIN } }, { runsInBudgetWindow: 4 }, 'admit'],
  ['budget: spent', { budget: { maxRuns: 5, perMs: 60 * MIN } }, { runsInBudgetWindow: 5 }, 'budget'],
  [
    'blast radius: a new node beyond the limit',
    { blastRadius: { maxNodes: 2, perMs: MIN, describe: 'max 2' } },
    { nodesInBlastWindow: 2 },
    'blast_radius',
  ],
  [
    'blast radius: a node already counted',
    { blastRadius: { maxNodes: 2, perMs: MIN, describe: 'max 2' } },
    { nodesInBlastWindow: 2, nodeInBlastWindow: true },
    'admit',
  ],
  [
    'blast radius: room for one more',
    { blastRadius: { maxNodes: 2, perMs: MIN, describe: 'max 2' } },
    { nodesInBlastWindow: 1 },
    'admit',
  ],
  [
    'cooldown is checked before budget',
    { cooldownMs: MIN, budget: { maxRuns: 1, perMs: MIN } },
    { lastRunOnNode: NOW, runsInBudgetWindow: 1 },
    'cooldown',
  ],
])('%s', (_name, g, f, expected) => {
  expect(reasonOf(g, f)).toBe(expected);
});

test('reasons say what the operator needs: who paused, when the cooldown ends, the budget used, the probe time', () => {
  const d = (g: Partial<RuleGuards>, f: Partial<GuardFacts>) =>
    decideGuards({ ...none, ...g }, 'web-1', { ...quiet, ...f }, NOW);
  expect(d({}, { pause: { since: '2024-05-01T11:00:00.000Z', actor: 'alice', reason: 'db migration' } })).toEqual({
    admit: false,
    reason: 'paused: automatic runs are paused since 2024-05-01T11:00:00.000Z by alice (db migration)',
  });
  expect(d({ cooldownMs: 30 * MIN }, { lastRunOnNode: NOW - 10 * MIN })).toEqual({
    admit: false,
    reason:
      'cooldown: rule r ran on web-1 at 2024-05-01T11:50:00.000Z; ' +
      'cooldown 30m, next run allowed after 2024-05-01T12:20:00.000Z',
  });
  expect(d({ budget: { maxRuns: 5, perMs: 60 * MIN } }, { runsInBudgetWindow: 5 })).toEqual({
    admit: false,
    reason: 'budget: rule r used 5 of 5 runs per 1h',
  });
  expect(d({}, { breaker: open })).toEqual({
    admit: false,
    reason:
      'breaker_open: rule r failed 3 runs in a row; open since 2024-05-01T11:55:00.000Z; ' +
      'next probe after 2024-05-01T12:10:00.000Z (or close it: rune breaker close r)',
  });
});
