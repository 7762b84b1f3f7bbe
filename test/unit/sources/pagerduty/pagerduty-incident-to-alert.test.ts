import type { IncidentLabels } from '../../../../src/sources/pagerduty/find-incident-labels';
import {
  parsePagerDutyEvent,
  type PagerDutyIncidentEvent,
} from '../../../../src/sources/pagerduty/parse-pagerduty-event';
import { pagerDutyIncidentToAlert } from '../../../../src/sources/pagerduty/pagerduty-incident-to-alert';
import { fixtureJson } from '../../../helpers/fixtures';

function incidentEvent(file: string): PagerDutyIncidentEvent {
  const parsed = parsePagerDutyEvent(fixtureJson(`pagerduty/${file}`));
  if (!parsed.ok || parsed.value.kind !== 'incident') throw new Error(`${file} is not an incident event`);
  return parsed.value;
}
const FOUND: IncidentLabels = {
  labels: { alertname: 'NodeFilesystemAlmostOutOfSpace', instance: '10.0.1.23:9100' },
  annotations: { summary: 'Filesystem has less than 5% space left.' },
  from: 'body.details.firing (text)',
  alertKey: 'ebef90548b6b91aec5258ec10caf4b40eaf9cdf58de44f537de423ce3dde89a9',
};

test('incident.triggered: a firing alert keyed by the PagerDuty alert_key, linked to the incident', () => {
  expect(
    pagerDutyIncidentToAlert(incidentEvent('webhook-v3-incident.triggered.aldaviva-real-signed.json'), FOUND),
  ).toEqual({
    source: 'pagerduty',
    status: 'firing',
    labels: {
      alertname: 'NodeFilesystemAlmostOutOfSpace',
      instance: '10.0.1.23:9100',
      pagerduty_incident_id: 'Q2CKYRLH85UNN4',
    },
    annotations: { summary: 'Filesystem has less than 5% space left.' },
    startsAt: '2025-04-07T03:47:13Z',
    endsAt: null,
    fingerprint: FOUND.alertKey,
    incident: {
      provider: 'pagerduty',
      id: 'Q2CKYRLH85UNN4',
      url: 'https://aldaviva.pagerduty.com/incidents/Q2CKYRLH85UNN4',
    },
  });
});

test('acknowledged is still firing; resolved is resolved and ends when the event occurred', () => {
  expect(
    pagerDutyIncidentToAlert(incidentEvent('webhook-v3-incident.acknowledged.aldaviva-real-signed.json'), FOUND),
  ).toMatchObject({ status: 'firing', endsAt: null });
  expect(
    pagerDutyIncidentToAlert(incidentEvent('webhook-v3-incident.resolved.aldaviva-real-signed.json'), FOUND),
  ).toMatchObject({
    status: 'resolved',
    startsAt: '2025-04-07T03:47:13Z',
    endsAt: '2025-04-07T03:49:36.358Z',
  });
});

test('no alert_key: the incident id is the fingerprint', () => {
  const alert = pagerDutyIncidentToAlert(
    incidentEvent('webhook-v3-incident.triggered.via-events-api-v2-integration.nudgebee.json'),
    { ...FOUND, alertKey: null },
  );
  expect(alert.fingerprint).toBe('QEXAMPLE1');
});

test('no created_at, html_url or status: occurredAt, no url, and the event type decide', () => {
  const event = incidentEvent('webhook-v3-incident.resolved.aldaviva-real-signed.json');
  const { createdAt: _c, url: _u, status: _s, ...bare } = event.incident;
  const alert = pagerDutyIncidentToAlert({ ...event, incident: bare }, FOUND);
  expect(alert.startsAt).toBe('2025-04-07T03:49:36.358Z');
  expect(alert.incident).toEqual({ provider: 'pagerduty', id: 'Q2CKYRLH85UNN4' });
  expect(alert.status).toBe('resolved');
});

test('no label is invented (no alertname from the title) and the found labels are not mutated', () => {
  const found: IncidentLabels = { ...FOUND, labels: { instance: 'web-1' } };
  const alert = pagerDutyIncidentToAlert(
    incidentEvent('webhook-v3-incident.triggered.aldaviva-real-signed.json'),
    found,
  );
  expect(alert.labels).toEqual({ instance: 'web-1', pagerduty_incident_id: 'Q2CKYRLH85UNN4' });
  expect(found.labels).toEqual({ instance: 'web-1' });
});

test('a found label called pagerduty_incident_id cannot point the alert at another incident', () => {
  const found: IncidentLabels = { ...FOUND, labels: { instance: 'web-1', pagerduty_incident_id: 'QOTHER' } };
  expect(
    pagerDutyIncidentToAlert(incidentEvent('webhook-v3-incident.triggered.aldaviva-real-signed.json'), found).labels
      .pagerduty_incident_id,
  ).toBe('Q2CKYRLH85UNN4');
});
