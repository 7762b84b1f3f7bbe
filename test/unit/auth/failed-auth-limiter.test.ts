import { createFailedAuthLimiter } from '../../../src/auth/failed-auth-limiter';

describe('createFailedAuthLimiter', () => {
  test('failures over the limit of an address are answered 429 until its window ends; others are free', () => {
    let now = 1_000_000;
    const l = createFailedAuthLimiter({ max: 3, windowMs: 60_000, now: () => now });
    expect([l.fail('a'), l.fail('a')]).toEqual([
      { retryAfterS: 0, reachedNow: false },
      { retryAfterS: 0, reachedNow: false },
    ]);
    expect(l.fail('a')).toEqual({ retryAfterS: 0, reachedNow: true }); // the third is still a 401; logged once
    expect(l.fail('a')).toEqual({ retryAfterS: 60, reachedNow: false }); // the fourth: 429
    expect(l.fail('b')).toEqual({ retryAfterS: 0, reachedNow: false });
    now += 45_500;
    expect(l.fail('a').retryAfterS).toBe(15);
    now += 14_500;
    expect(l.fail('a')).toEqual({ retryAfterS: 0, reachedNow: false }); // a new window
  });

  test('the map is bounded: the oldest address is forgotten first', () => {
    const l = createFailedAuthLimiter({ max: 1, maxEntries: 2, now: () => 0 });
    l.fail('a');
    l.fail('b');
    l.fail('c');
    expect([l.fail('c').retryAfterS, l.fail('b').retryAfterS, l.fail('a').retryAfterS]).toEqual([60, 60, 0]);
  });
});
