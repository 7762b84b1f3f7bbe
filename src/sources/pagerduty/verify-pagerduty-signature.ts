import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureVerdict = { ok: true } | { ok: false; status: 400 | 401; reason: string };

const V1_PREFIX = 'v1=';
// HMAC-SHA256 is 32 bytes = 64 hex digits. Checking the shape first matters: Buffer.from(x, 'hex')
// silently stops at the first bad digit, so a short or odd entry would compare garbage.
const V1_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * Checks `X-PagerDuty-Signature` over the exact request bytes (docs/protocols.md §2.3): authentic when
 * any `v1=` entry equals HMAC-SHA256(secret, rawBody) for any configured secret (rotation).
 *
 * Status codes: PagerDuty drops a delivery without retry on any 4xx except 429 (§2.5), so the
 * code changes nothing for PagerDuty; 401 says "credentials" to the human reading the logs. After
 * three dropped deliveries in a row PagerDuty disables the subscription for 24 h (§2.5): a wrong
 * secret must be logged loudly by the caller.
 */
export function verifyPagerDutySignature(
  rawBody: Buffer,
  header: string | undefined,
  secrets: string[],
): SignatureVerdict {
  // An empty secret is a key everyone knows: it would make any body "signed".
  const usable = secrets.filter((s) => s.trim() !== '');
  if (usable.length === 0)
    return { ok: false, status: 401, reason: 'no PagerDuty webhook secrets configured (RUNE_PAGERDUTY_SECRETS)' };
  if (header === undefined || header.trim() === '')
    return { ok: false, status: 401, reason: 'missing X-PagerDuty-Signature' };
  if (rawBody.length === 0) return { ok: false, status: 400, reason: 'empty body' };

  // Several entries when PagerDuty signs with more than one secret during rotation (§2.3).
  const offered = header
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith(V1_PREFIX))
    .map((entry) => entry.slice(V1_PREFIX.length))
    .filter((hex) => V1_HEX.test(hex))
    .map((hex) => Buffer.from(hex, 'hex'));

  for (const secret of usable) {
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    // timingSafeEqual: a byte-by-byte compare would leak how much of a forged signature is right.
    if (offered.some((candidate) => timingSafeEqual(candidate, expected))) return { ok: true };
  }
  return { ok: false, status: 401, reason: 'signature does not match any configured secret' };
}
