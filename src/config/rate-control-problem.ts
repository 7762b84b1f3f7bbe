/**
 * SendCommand's rate controls as rules.yaml (`ssm:`) and `rune run --max-concurrency/--max-errors`
 * write them (docs/protocols.md §4.1): strings of 1–7 characters, a count or a percentage.
 */
export const MAX_CONCURRENCY_PATTERN = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
export const MAX_ERRORS_PATTERN = /^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$/;

/** Why `value` is not a valid MaxConcurrency / MaxErrors, or null when it is. */
export function rateControlProblem(kind: 'max_concurrency' | 'max_errors', value: string): string | null {
  const pattern = kind === 'max_concurrency' ? MAX_CONCURRENCY_PATTERN : MAX_ERRORS_PATTERN;
  if (value.length <= 7 && pattern.test(value)) return null;
  const examples = kind === 'max_concurrency' ? '10, 50 or 25%; at least 1' : '0, 5 or 10%';
  return `${kind} ${JSON.stringify(value)} is not a count or percentage SSM accepts (e.g. ${examples})`;
}
