// FNV-1a 64: offset basis 0xcbf29ce484222325, prime 2^40 + 0x1b3. Kept as two 32-bit halves:
// plain number arithmetic is ~50x faster than BigInt, and a payload may hold 1000 alerts.
const OFFSET_HI = 0xcbf29ce4;
const OFFSET_LO = 0x84222325;
const PRIME_LO = 0x1b3;
const TWO_32 = 0x1_0000_0000;
// 0xff never occurs in UTF-8, so "a"+"bc" and "ab"+"c" hash differently.
const SEPARATOR = Uint8Array.of(0xff);

/**
 * Alertmanager's own alert fingerprint: FNV-1a 64 over the label names sorted bytewise, each name
 * and value followed by 0xff, printed as 16 hex digits (prometheus/common `model/signature.go`
 * `labelSetToFingerprint`, `Fingerprint.String()`). Used when a payload carries no fingerprint
 * (pre-v4 senders, docs/protocols.md §1.3), so the same alert gets the same id from either shape.
 */
export function alertmanagerFingerprint(labels: Record<string, string>): string {
  const names = Object.keys(labels)
    .map((name) => ({ name, bytes: Buffer.from(name, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes)); // Go sorts strings bytewise, not by UTF-16
  let hi = OFFSET_HI;
  let lo = OFFSET_LO;
  const add = (bytes: Uint8Array): void => {
    for (const byte of bytes) {
      lo = (lo ^ byte) >>> 0;
      // h * prime = h * 0x1b3 + (h << 40); only lo's bits reach the high word through << 40.
      const loProduct = lo * PRIME_LO;
      const carry = Math.floor(loProduct / TWO_32);
      hi = (hi * PRIME_LO + carry + ((lo << 8) >>> 0)) >>> 0;
      lo = loProduct >>> 0;
    }
  };
  for (const { name, bytes } of names) {
    add(bytes);
    add(SEPARATOR);
    add(Buffer.from(labels[name] as string, 'utf8'));
    add(SEPARATOR);
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
