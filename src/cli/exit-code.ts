import { ERROR_CATALOGUE } from '../core/errors';
import type { Result } from '../core/types';

/** docs/architecture.md exit codes: 0 ok, 1 ran and failed, 2 usage/config, 3 unreachable/auth, 4 timeout. */
export function exitCodeFor(result: Result): number {
  if (result.status === 'succeeded' || result.status === 'skipped') return 0;
  if (result.status === 'timed_out') return 4;
  const code = result.error?.code;
  return code && code in ERROR_CATALOGUE ? ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE].exit : 1;
}

// Several nodes: the most actionable class wins (a config error hides nothing else worth fixing first).
const PRECEDENCE = [2, 3, 4, 1, 0];

export function exitCodeForAll(results: Result[]): number {
  const codes = new Set(results.map(exitCodeFor));
  return PRECEDENCE.find((c) => codes.has(c)) ?? 0;
}
