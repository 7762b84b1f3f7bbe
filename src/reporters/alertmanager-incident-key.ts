import { createHash } from 'node:crypto';

/**
 * The PagerDuty incident_key (Events v2 dedup_key) Alertmanager uses for a notification group:
 * lowercase hex SHA-256 of the groupKey string (docs/protocols.md §1.5, AM `notify.Key.Hash()`).
 */
export function alertmanagerIncidentKey(groupKey: string): string {
  return createHash('sha256').update(groupKey, 'utf8').digest('hex');
}
