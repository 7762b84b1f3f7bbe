import { guardRunsHorizonMs, MIN_GUARD_HISTORY_MS } from '../../../src/guards/guard-runs-horizon';
import type { RuleGuards } from '../../../src/guards/types';

const H = 3_600_000;
const g = (o: Partial<RuleGuards>): RuleGuards => ({
  rule: 'r',
  cooldownMs: null,
  budget: null,
  blastRadius: null,
  breaker: { failures: 3, probeAfterMs: H },
  cancelRunningOnResolve: false,
  ...o,
});

test('the longest window of any rule, at least a day', () => {
  expect(guardRunsHorizonMs([])).toBe(MIN_GUARD_HISTORY_MS);
  expect(guardRunsHorizonMs([g({ cooldownMs: H })])).toBe(24 * H);
  expect(
    guardRunsHorizonMs([
      g({ cooldownMs: 30 * H }),
      g({ budget: { maxRuns: 1, perMs: 48 * H } }),
      g({ blastRadius: { maxNodes: 1, perMs: 72 * H, describe: '' } }),
    ]),
  ).toBe(72 * H);
});
