import { createHash, timingSafeEqual } from 'node:crypto';
import type { Actor } from './actor';
import type { StoredToken } from './parse-tokens-file';

/**
 * The tokens file's tokens → `authenticate(credential)`. The offered token is hashed and compared
 * with every stored hash by timingSafeEqual, without stopping at the first match, so the time
 * taken says nothing about which token (or how much of one) matched.
 */
export function createAuthenticator(tokens: readonly StoredToken[]): (credential: string) => Actor | null {
  return (credential) => {
    const offered = createHash('sha256').update(credential, 'utf8').digest();
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
