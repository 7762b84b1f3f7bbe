import { randomUUID } from 'node:crypto';

/**
 * A UUID whose first 48 bits are the time in milliseconds (the layout of RFC 9562's UUIDv7), the
 * rest random. Job ids sort by creation, so new rows land at the end of the id index instead of
 * on a random page: bench/ingest measured random ids spreading each commit over many pages.
 */
export function timeOrderedId(now: number = Date.now()): string {
  const hex = now.toString(16).padStart(12, '0').slice(-12);
  const rand = randomUUID(); // pooled randomness; its version nibble is replaced below
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${rand.slice(15, 18)}-${rand.slice(19, 23)}-${rand.slice(24)}`;
}
