const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * The instant an RFC 3339 time names, written one way: in UTC with `Z`, and the fraction of a
 * second without trailing zeros (to the nanosecond, none when zero). That is Go's RFC3339Nano
 * for a UTC time, which is how Alertmanager writes them, so its times come back unchanged:
 * `10:30:00Z`, `10:30:00.000Z` and `11:30:00+01:00` (same day) are all `10:30:00Z`. Anything
 * else is returned as it is.
 */
export function rfc3339Instant(text: string): string {
  const m = RFC3339.exec(text);
  if (!m) return text;
  const [, year, month, day, hour, minute, second, fraction = '', sign, offHours, offMinutes] = m;
  const at = new Date(0);
  at.setUTCFullYear(Number(year), Number(month) - 1, Number(day)); // years below 100 too
  at.setUTCHours(Number(hour), Number(minute), Number(second), 0);
  if (sign !== undefined) {
    const offset = (Number(offHours) * 60 + Number(offMinutes)) * 60_000;
    at.setTime(at.getTime() - (sign === '+' ? offset : -offset));
  }
  if (Number.isNaN(at.getTime())) return text;
  const iso = at.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ for years 0 to 9999
  if (iso.length !== 24) return text;
  const nanos = fraction.slice(0, 9).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${nanos ? `.${nanos}` : ''}Z`;
}
