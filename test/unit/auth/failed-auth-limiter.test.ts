import { createFailedAuthLimiter } from '../../../src/auth/failed-auth-limiter';

describe('createFailedAuthLimiter', () => {
  test('blocks an address after max failures until its window ends; others are free', () => {
    let now = 1_000_000;
    const l = createFailedAuthLimiter({ max: 3, windowMs: 60_000, now: () => now });
    expect([l.fail('a'), l.fail('a')]).toEqual([false, false]);
    expect(l.blockedFor('a')).toBe(0);
    expect(l.fail('a')).toBe(true); // the one that crosses the limit (logged once)
    expect(l.blockedFor('a')).toBe(60);
    expect(l.blockedFor('b')).toBe(0);
    now += 45_500;
    expect(l.blockedFor('a')).toBe(15);
    now += 14_500;
    expect(l.blockedFor('a')).toBe(0);
    expect(l.fail('a')).toBe(false); // a new window
  });

  test('the map is bounded: the oldest address is forgotten first', () => {
    const l = createFailedAuthLimiter({ max: 1, maxEntries: 2, now: () => 0 });
    l.fail('a');
    l.fail('b');
    l.fail('c');
    expect([l.blockedFor('a'), l.blockedFor('b'), l.blockedFor('c')]).toEqual([0, 60, 60]);
  });
});
