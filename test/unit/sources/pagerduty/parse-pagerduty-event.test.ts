import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  parsePagerDutyEvent,
  type ParsePagerDutyEventResult,
} from '../../../../src/sources/pagerduty/parse-pagerduty-event';
import { FIXTURES, fixtureJson } from '../../../helpers/fixtures';

const PD_DIR = join(FIXTURES, 'pagerduty');

function value(result: ParsePagerDutyEventResult) {
  if (!result.ok) throw new Error(`expected ok, got problems: ${result.problems.join(' | ')}`);
  return result.value;
}
function parseFixture(file: string) {
  return value(parsePagerDutyEvent(fixtureJson(`pagerduty/${file}`)));
}
/** A full delivery around a docs `event.data` example (SOURCES.md: "Wrap one in {"event":{…}}"). */
function wrap(eventType: string, data: unknown): unknown {
  return {
    event: {
      id: '01TESTEVENT0000000000000000',
      event_type: eventType,
      resource_type: eventType.split('.')[0],
      occurred_at: '2020-10-02T18:45:22.169Z',
      agent: null,
      client: null,
      data,
    },
  };
}

describe('real deliveries', () => {
  test('every webhook-v3-*.json fixture parses', () => {
    const files = readdirSync(PD_DIR).filter(
      (f) =>
        f.startsWith('webhook-v3-') ||
        f.startsWith('docs-webhook-v3-incident.') ||
        f.startsWith('docs-webhook-v3-service.'),
    );
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const f of files) expect([f, parsePagerDutyEvent(fixtureJson(`pagerduty/${f}`)).ok]).toEqual([f, true]);
  });

  test('pagey.ping (Aldaviva, and the n8n README body) is a ping', () => {
    expect(parseFixture('webhook-v3-pagey.ping.aldaviva-real-signed.json')).toEqual({
      kind: 'ping',
      eventId: '01FKZOXA868SHYEE4DVNWB5P9W',
    });
    const n8n = fixtureJson('pagerduty/public-webhook-v3-pagey.ping-with-request-headers.n8n-readme.json');
    expect(value(parsePagerDutyEvent(n8n.body))).toEqual({ kind: 'ping', eventId: '01D8FYLHB5WAOASD!BWY4P3M' });
  });

  test('incident.triggered (manual incident, Aldaviva): every field', () => {
    expect(parseFixture('webhook-v3-incident.triggered.aldaviva-real-signed.json')).toEqual({
      kind: 'incident',
      eventId: '01FKZSRAPTMF55RE69G8BQHGC6',
      eventType: 'incident.triggered',
      occurredAt: '2025-04-07T03:47:13.414Z',
      incident: {
        id: 'Q2CKYRLH85UNN4',
        url: 'https://aldaviva.pagerduty.com/incidents/Q2CKYRLH85UNN4',
        title: 'Test',
        status: 'triggered',
        incidentKey: 'dfead9d88e0649e8b7dee514b1875756',
        createdAt: '2025-04-07T03:47:13Z',
        serviceName: 'Webhook Tester',
      },
    });
  });

  test.each([
    ['webhook-v3-incident.acknowledged.aldaviva-real-signed.json', 'incident.acknowledged', 'acknowledged'],
    ['webhook-v3-incident.resolved.aldaviva-real-signed.json', 'incident.resolved', 'resolved'],
  ])('%s carries its status', (file, eventType, status) => {
    expect(parseFixture(file)).toMatchObject({
      kind: 'incident',
      eventType,
      incident: { id: 'Q2CKYRLH85UNN4', status },
    });
  });

  test('incident made by an Events API v2 integration (nudgebee): incident_key null', () => {
    expect(parseFixture('webhook-v3-incident.triggered.via-events-api-v2-integration.nudgebee.json')).toMatchObject({
      kind: 'incident',
      incident: {
        id: 'QEXAMPLE1',
        incidentKey: null,
        status: 'triggered',
        title: 'up rule triggered on nn ',
        serviceName: 'Test-Service',
      },
    });
  });

  test('nudgebee resolved: the incident id is data.id even where html_url names another (hand-edited sample)', () => {
    expect(parseFixture('webhook-v3-incident.resolved.nudgebee.json')).toMatchObject({
      kind: 'incident',
      incident: {
        id: 'QEXAMPLE1',
        url: 'https://example-inc.pagerduty.com/incidents/QEXAMPLE2',
        status: 'resolved',
        incidentKey: null,
      },
    });
  });

  test('incident.annotated: resource_type incident, data a note: "other" with the incident id, not the note id', () => {
    expect(parseFixture('webhook-v3-incident.annotated.aldaviva-real-signed.json')).toEqual({
      kind: 'other',
      eventId: '01FKZSYEOK0YQYTT9OZQJDS1P4',
      eventType: 'incident.annotated',
      incidentId: 'Q2CKYRLH85UNN4',
    });
  });

  test('docs incident.priority_updated is an incident event; docs service.updated is "other", no incident', () => {
    expect(parseFixture('docs-webhook-v3-incident.priority_updated.developer-docs.json')).toMatchObject({
      kind: 'incident',
      eventType: 'incident.priority_updated',
      incident: {
        id: 'PGR0VU2',
        title: 'A little bump in the road',
        serviceName: 'API Service',
        incidentKey: 'd3640fbd41094207a1c11e58e46b1662',
      },
    });
    expect(parseFixture('docs-webhook-v3-service.updated.developer-docs.json')).toEqual({
      kind: 'other',
      eventId: '01BRB6ZP4M6T8ZG4X6BP63ZB9O',
      eventType: 'service.updated',
    });
  });
});

describe('docs event.data examples, one per data.type (docs/protocols.md §2.4)', () => {
  // [data.type file suffix, an event_type that carries it, the incident id expected]
  const CASES: [string, string, string | undefined][] = [
    ['incident_note', 'incident.annotated', 'PGR0VU2'],
    ['incident_action_invocation', 'incident.action_invocation.created', 'PBAZLIU'],
    ['incident_conference_bridge', 'incident.conference_bridge.updated', 'PGR0VU2'],
    ['incident_field_values', 'incident.custom_field_values.updated', 'PBAZLIU'],
    ['incident_responder', 'incident.responder.added', 'PGR0VU2'],
    ['incident_role_assignment', 'incident.role.assigned', 'PBAZLIU'],
    ['incident_status_update', 'incident.status_update_published', 'PGR0VU2'],
    // data.id here is the task's id (PGR0VU2); the incident is elsewhere.
    ['incident_task', 'incident.task.created', 'Q0SDD3HB6SGFTI'],
    ['incident_workflow_instance', 'incident.workflow.started', 'PBAZLIU'],
    ['service', 'service.created', undefined],
    ['service_field_values', 'service.custom_field_values.updated', undefined],
  ];

  test('every docs-webhook-v3-event-data file is covered here', () => {
    const files = readdirSync(PD_DIR).filter((f) => f.startsWith('docs-webhook-v3-event-data.'));
    const covered = new Set(
      ['incident', ...CASES.map(([t]) => t)].map((t) => `docs-webhook-v3-event-data.${t}.developer-docs.json`),
    );
    expect(files.filter((f) => !covered.has(f))).toEqual([]);
  });

  test('data.type incident gives an incident event', () => {
    const data = fixtureJson('pagerduty/docs-webhook-v3-event-data.incident.developer-docs.json');
    expect(value(parsePagerDutyEvent(wrap('incident.reopened', data)))).toMatchObject({
      kind: 'incident',
      eventType: 'incident.reopened',
      occurredAt: '2020-10-02T18:45:22.169Z',
      incident: {
        id: 'PGR0VU2',
        status: 'triggered',
        createdAt: '2020-04-09T15:16:27Z',
        url: 'https://acme.pagerduty.com/incidents/PGR0VU2',
      },
    });
  });

  test.each(CASES)('%s (%s) is "other" with incident id %s', (type, eventType, incidentId) => {
    const data = fixtureJson(`pagerduty/docs-webhook-v3-event-data.${type}.developer-docs.json`);
    const expected = {
      kind: 'other',
      eventId: '01TESTEVENT0000000000000000',
      eventType,
      ...(incidentId ? { incidentId } : {}),
    };
    expect(value(parsePagerDutyEvent(wrap(eventType, data)))).toEqual(expected);
  });
});

describe('hostile and broken bodies', () => {
  const triggered = () => fixtureJson('pagerduty/webhook-v3-incident.triggered.aldaviva-real-signed.json');

  test.each([
    ['null', null],
    ['a JSON array', [fixtureJson('pagerduty/webhook-v3-pagey.ping.aldaviva-real-signed.json')]],
    ['a string', 'incident.triggered'],
    ['an object without event', { messages: [] }],
    ['event as an array', { event: [] }],
    ['event null', { event: null }],
  ])('non-envelope body (%s) is refused', (_name, body) => {
    expect(parsePagerDutyEvent(body)).toEqual({
      ok: false,
      problems: ['event: must be an object (PagerDuty v3 envelope {"event": {…}})'],
    });
  });

  test('the v2 envelope of Custom Incident Actions is not a v3 event', () => {
    expect(parsePagerDutyEvent(fixtureJson('pagerduty/docs-webhook-v2-incident.trigger.developer-docs.json')).ok).toBe(
      false,
    );
  });

  test('event id and event_type missing, empty or not strings', () => {
    const body = triggered();
    body.event.id = 12345;
    delete body.event.event_type;
    expect(parsePagerDutyEvent(body)).toEqual({
      ok: false,
      problems: ['event.id: must be a non-empty string', 'event.event_type: must be a non-empty string'],
    });
    body.event.id = '';
    body.event.event_type = 'pagey.ping';
    expect(parsePagerDutyEvent(body)).toEqual({ ok: false, problems: ['event.id: must be a non-empty string'] });
  });

  test('an incident without an id or occurred_at is refused', () => {
    const body = triggered();
    body.event.data.id = null;
    delete body.event.occurred_at;
    expect(parsePagerDutyEvent(body)).toEqual({
      ok: false,
      problems: ['event.data.id: must be a non-empty string', 'event.occurred_at: must be a non-empty string'],
    });
  });

  test('status "weird", wrong-typed title, service: tolerated, left out (refusing would disable subscription)', () => {
    const body = triggered();
    body.event.data.status = 'weird';
    body.event.data.title = 42;
    body.event.data.service = 'svc';
    body.event.data.html_url = null;
    body.event.data.incident_key = '';
    const event = value(parsePagerDutyEvent(body));
    expect(event).toEqual({
      kind: 'incident',
      eventId: '01FKZSRAPTMF55RE69G8BQHGC6',
      eventType: 'incident.triggered',
      occurredAt: '2025-04-07T03:47:13.414Z',
      incident: { id: 'Q2CKYRLH85UNN4', incidentKey: null, createdAt: '2025-04-07T03:47:13Z' },
    });
  });

  test('data missing or not an object: the event is "other" without an incident id', () => {
    const body = triggered();
    delete body.event.data;
    expect(value(parsePagerDutyEvent(body))).toEqual({
      kind: 'other',
      eventId: '01FKZSRAPTMF55RE69G8BQHGC6',
      eventType: 'incident.triggered',
    });
    body.event.data = 'Q2CKYRLH85UNN4';
    expect(value(parsePagerDutyEvent(body))).toMatchObject({ kind: 'other' });
  });

  test('data.type incident under a non-incident event type is not taken for an incident', () => {
    const body = triggered();
    body.event.event_type = 'service.updated';
    expect(value(parsePagerDutyEvent(body))).toMatchObject({ kind: 'other', eventType: 'service.updated' });
  });
});
