import type { Alert } from '../core/types';

/** One run per (rule, fingerprint, startsAt) firing episode (docs/architecture.md, Safety guards: dedup). */
export function episodeKey(rule: string, a: Alert): string {
  // startsAt first: keys of new episodes then sort near each other, so inserting them touches few
  // index pages (bench/ingest); the rest makes the key unique per rule, status and alert.
  return `${a.startsAt}\u0000${rule}\u0000${a.status}\u0000${a.fingerprint}`;
}
