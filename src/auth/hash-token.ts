import { createHash } from 'node:crypto';

/**
 * The stored form of an API token: `sha256:<hex>`. A plain, unsalted SHA-256 is enough here because
 * tokens are 256 random bits (generate-token.ts), not passwords: there is no dictionary to try and
 * nothing to precompute, so a slow or salted hash would only cost CPU on every request
 * (docs/security.md, Hashing).
 */
export function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}
