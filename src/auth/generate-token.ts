import { randomBytes } from 'node:crypto';

/** A new API token: `rune_` + 32 random bytes, base64url (43 characters). Shown once, stored hashed. */
export function generateToken(random: (n: number) => Buffer = randomBytes): string {
  return `rune_${random(32).toString('base64url')}`;
}
