import { formatTokenLine } from '../../src/auth/format-token-line';
import { hashToken } from '../../src/auth/hash-token';
import type { Role } from '../../src/auth/actor';

/** One line of RUNE_API_TOKENS_FILE for a known test token (what `rune tokens add` would append). */
export function tokenLine(
  name: string,
  role: Role,
  token: string,
  scope: { actions?: string[]; nodes?: string[] } = {},
): string {
  const hash = hashToken(token);
  return `${formatTokenLine({ name, role, hash, actions: scope.actions ?? null, nodes: scope.nodes ?? null })}\n`;
}
