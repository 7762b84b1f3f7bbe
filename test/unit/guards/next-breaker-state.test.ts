import { nextBreakerState } from '../../../src/guards/next-breaker-state';
import { closedBreaker, type BreakerState } from '../../../src/core/guard-state';

const NOW = 1_000_000;
const fail = (chainId = 'c') => ({ chainId, ok: false, summary: 'restart-docker on web-1: docker did not start' });
const ok = (chainId = 'c') => ({ chainId, ok: true, summary: 'fine' });

test('closed: K failures in a row open it, once; a success in between resets the count', () => {
  let b: BreakerState = closedBreaker('r');
  const step = (run: ReturnType<typeof fail>) => {
    const c = nextBreakerState(b, run, 3, NOW);
    b = c.next;
    return c;
  };
  expect(step(fail()).opened).toBe(false);
  expect(step(fail()).opened).toBe(false);
  expect(step(ok())).toMatchObject({ opened: false, next: { state: 'closed', failures: 0 } });
  step(fail());
  step(fail());
  expect(step(fail())).toMatchObject({
    opened: true,
    next: { state: 'open', failures: 3, openedAt: NOW, lastFailure: 'restart-docker on web-1: docker did not start' },
  });
  // Runs that were under way when it opened change nothing: not a second note, not a close.
  expect(step(fail())).toMatchObject({ opened: false, next: { state: 'open', openedAt: NOW } });
  expect(step(ok())).toMatchObject({ closed: false, next: { state: 'open' } });
});

test('half-open: only the probe counts; success closes, failure re-opens with a new time', () => {
  const half: BreakerState = {
    ...closedBreaker('r'),
    state: 'half_open',
    failures: 3,
    openedAt: 1,
    probeChain: 'probe',
    probeAt: 5,
  };
  expect(nextBreakerState(half, ok('other'), 3, NOW)).toMatchObject({ closed: false, next: { state: 'half_open' } });
  expect(nextBreakerState(half, ok('probe'), 3, NOW)).toEqual({
    opened: false,
    closed: true,
    next: closedBreaker('r'),
  });
  expect(nextBreakerState(half, fail('probe'), 3, NOW)).toMatchObject({
    opened: true,
    next: { state: 'open', openedAt: NOW, failures: 4, probeChain: null },
  });
});
