import { formatDuration, parseDuration } from '../../../src/util/duration';

test('formatDuration prints durations as rules.yaml writes them: 30m, 2h, 45s, never 30m00s', () => {
  const cases: [number, string][] = [
    [0, '0ms'],
    [850, '850ms'],
    [1234, '1.2s'],
    [45_000, '45s'],
    [59_960, '60s'],
    [61_000, '1m1s'],
    [185_000, '3m5s'],
    [1_800_000, '30m'],
    [7_200_000, '2h'],
    [5_400_000, '1h30m'],
    [172_800_000, '2d'],
    [90_061_000, '1d1h1m1s'],
  ];
  expect(cases.map(([ms]) => [ms, formatDuration(ms)])).toEqual(cases);
  // From a second up, what is printed reads back as the same duration (rounded to seconds).
  for (const ms of [45_000, 185_000, 1_800_000, 5_400_000, 90_061_000])
    expect(parseDuration(formatDuration(ms))).toBe(ms);
});
