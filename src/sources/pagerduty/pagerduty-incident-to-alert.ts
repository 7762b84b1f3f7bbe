import type { Alert } from '../../core/types';
import type { IncidentLabels } from './find-incident-labels';
import type { PagerDutyIncidentEvent } from './parse-pagerduty-event';

/**
 * The normalized Alert for a PagerDuty incident event, with the labels found on its alert
 * (docs/protocols.md §2.7). No label is invented: only the found ones plus `pagerduty_incident_id`.
 */
export function pagerDutyIncidentToAlert(event: PagerDutyIncidentEvent, found: IncidentLabels): Alert {
  const { incident } = event;
  // Status from data.status (§2.1); when PagerDuty sent one we do not know, the event type decides.
  const resolved =
    incident.status === undefined ? event.eventType === 'incident.resolved' : incident.status === 'resolved';
  const alert: Alert = {
    source: 'pagerduty',
    status: resolved ? 'resolved' : 'firing',
    labels: { ...found.labels, pagerduty_incident_id: incident.id },
    annotations: { ...found.annotations },
    startsAt: incident.createdAt ?? event.occurredAt,
    endsAt: resolved ? event.occurredAt : null,
    // alert_key is the Events v2 dedup_key, stable across re-triggers of the same group (§1.5).
    fingerprint: found.alertKey ?? incident.id,
    incident: { provider: 'pagerduty', id: incident.id },
  };
  if (incident.url !== undefined && alert.incident) alert.incident.url = incident.url;
  return alert;
}
