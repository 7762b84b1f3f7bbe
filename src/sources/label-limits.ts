/**
 * Bounds on one alert's label set, whatever the source. Labels end up in node names, rendered
 * params and the job store, so a hostile or broken sender must meet a clear "no", not a slow or
 * crashing RUNE. Prometheus itself has no hard limits; these are far above anything real.
 */
export const LABEL_LIMITS = {
  maxLabels: 256,
  maxNameLength: 1024,
  maxValueLength: 16384,
} as const;

/** Why a name/value pair cannot be accepted, or null when it can. */
export function labelProblem(
  name: string,
  value: string,
  maxValueLength: number = LABEL_LIMITS.maxValueLength,
): string | null {
  if (name.length === 0) return 'name must not be empty';
  if (name.length > LABEL_LIMITS.maxNameLength) return `name longer than ${LABEL_LIMITS.maxNameLength} characters`;
  // NUL ends a C string: a value that reaches argv, a path or a log line would be silently cut.
  if (name.includes('\u0000')) return 'name contains a NUL character';
  if (value.length > maxValueLength) return `longer than ${maxValueLength} characters`;
  if (value.includes('\u0000')) return 'contains a NUL character';
  return null;
}
