import type { Alert } from '../core/types';
import { rfc3339Instant } from '../util/rfc3339-instant';

/**
 * One run per (rule, fingerprint, startsAt) firing episode (docs/architecture.md, Safety guards:
 * dedup). startsAt is the instant, however it is written: `10:30:00Z`, `10:30:00.000Z` and
 * `11:30:00+01:00` are one episode.
 */
export function episodeKey(rule: string, a: Alert): string {
  // startsAt first: keys of new episodes then sort near each other, so inserting them touches few
  // index pages (bench/ingest); the rest makes the key unique per rule, status and alert.
  return `${rfc3339Instant(a.startsAt)}\u0000${rule}\u0000${a.status}\u0000${a.fingerprint}`;
}
