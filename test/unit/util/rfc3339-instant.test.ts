import { rfc3339Instant } from '../../../src/util/rfc3339-instant';

describe('rfc3339Instant: one spelling per instant', () => {
  test.each([
    // One instant, many spellings: all Go's RFC3339Nano in UTC, which is what Alertmanager sends.
    ['2024-05-01T10:30:00Z', '2024-05-01T10:30:00Z'],
    ['2024-05-01T10:30:00.000Z', '2024-05-01T10:30:00Z'],
    ['2024-05-01T11:30:00+01:00', '2024-05-01T10:30:00Z'],
    ['2024-05-01T05:00:00.000000000-05:30', '2024-05-01T10:30:00Z'],
    ['2024-05-01t10:30:00z', '2024-05-01T10:30:00Z'],
    ['2024-05-01T10:30:00+00:00', '2024-05-01T10:30:00Z'],
    // Fractions are kept to the nanosecond, trailing zeros dropped (Alertmanager's own output is unchanged).
    ['2024-05-01T10:30:00.123456789Z', '2024-05-01T10:30:00.123456789Z'],
    ['2024-05-01T10:30:00.1200Z', '2024-05-01T10:30:00.12Z'],
    ['2024-05-01T12:30:00.1234567891+02:00', '2024-05-01T10:30:00.123456789Z'],
    // Across a day, a month and a year.
    ['2024-01-01T00:30:00+01:00', '2023-12-31T23:30:00Z'],
    ['2024-02-28T23:00:00-02:00', '2024-02-29T01:00:00Z'],
    ['0050-06-01T00:00:00Z', '0050-06-01T00:00:00Z'],
  ])('%s → %s', (text, instant) => {
    expect(rfc3339Instant(text)).toBe(instant);
  });

  test('text that is not an RFC 3339 time is left as it is', () => {
    for (const text of [
      '',
      'yesterday',
      '2024-05-01',
      '2024-05-01 10:30:00Z',
      '2024-05-01T10:30Z',
      '0000-01-01T00:00:00+01:00',
    ])
      expect(rfc3339Instant(text)).toBe(text);
  });

  test('distinct instants stay distinct, to the nanosecond', () => {
    expect(rfc3339Instant('2024-05-01T10:30:00.000000001Z')).not.toBe(rfc3339Instant('2024-05-01T10:30:00Z'));
  });
});
