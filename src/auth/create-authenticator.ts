import { createHash, timingSafeEqual } from 'node:crypto';
import type { Actor } from './actor';
import type { StoredToken } from './parse-tokens-file';

/**
 * The tokens file's tokens → `authenticate(credential)`. The offered token is hashed and compared
 * with every stored hash by timingSafeEqual, without stopping at the first match, so the time
 * taken says nothing about which token (or how much of one) matched.
 */
export function createAuthenticator(tokens: readonly StoredToken[]): (credential: string) => Actor | null {
  const byHash = createHashAuthenticator(tokens);
  return (credential) => byHash(tokenHash(credential));
}

/** The SHA-256 of an API token, hex: how a dashboard session remembers which token signed it in. */
export function tokenHash(credential: string): string {
  return createHash('sha256').update(credential, 'utf8').digest('hex');
}

/** As createAuthenticator, from a token's SHA-256 (hex) instead of the token. */
export function createHashAuthenticator(tokens: readonly StoredToken[]): (hashHex: string) => Actor | null {
  return (hashHex) => {
    const offered = Buffer.from(hashHex, 'hex');
    if (offered.length !== 32) return null;
    let found: StoredToken | null = null;
    for (const t of tokens) if (timingSafeEqual(offered, t.hash) && found === null) found = t; // no early exit
    if (!found) return null;
    return {
      name: found.name,
      role: found.role,
      actions: found.actions ? [...found.actions] : null,
      nodes: found.nodes ? [...found.nodes] : null,
    };
  };
}
