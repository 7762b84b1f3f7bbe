import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time: both sides are hashed first, so neither length nor content leaks through timing. */
export function tokenMatches(offered: string, expected: string): boolean {
  const a = createHash('sha256').update(offered).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * The credential in an Authorization header: `Bearer <token>`, or Basic auth whose password is the
 * token (Alertmanager's `http_config` offers both; the user name is not checked).
 */
export function credentialFrom(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^(Bearer|Basic)\s+(\S+)\s*$/i.exec(header);
  if (!m) return null;
  if ((m[1] as string).toLowerCase() === 'bearer') return m[2] as string;
  const decoded = Buffer.from(m[2] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : null;
}

/** The first configured token the request carries, or null. */
export function findToken(
  header: string | undefined,
  tokens: readonly { name: string; token: string }[],
): { name: string } | null {
  const offered = credentialFrom(header);
  if (offered === null) return null;
  let found: { name: string } | null = null;
  for (const t of tokens) if (tokenMatches(offered, t.token) && !found) found = { name: t.name }; // no early exit
  return found;
}

/** A configured secret token and the name it is recorded under (e.g. the Alertmanager webhook token). */
export interface NamedToken {
  name: string;
  token: string;
}
