import { alertmanagerIncidentKey } from '../../../src/reporters/alertmanager-incident-key';
import { createPagerDutyClient, type PagerDutyClient } from '../../../src/reporters/pagerduty-client';
import { createPagerDutyReporter } from '../../../src/reporters/pagerduty-reporter';
import { renderNote } from '../../../src/reporters/render-note';
import type { Alert } from '../../../src/core/types';
import { fixtureJson } from '../../helpers/fixtures';
import { startFakePagerDuty, type FakePagerDuty } from '../../helpers/fake-pagerduty';
import { recordingSleep } from '../../helpers/fake-http-server';
import { sampleResult } from '../../helpers/sample-result';

const TOKEN = 'pd-token-abcdefghijklmnop';
const FROM = 'rune-bot@example.com';
const PUBLIC_URL = 'https://rune.example.com';
const AT = new Date('2026-11-23T23:12:00.000Z');

const webhook = fixtureJson<{
  groupKey: string;
  alerts: {
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    fingerprint: string;
  }[];
}>('alertmanager/captured-am0.25-webhook-firing-1alert.json');
const first = webhook.alerts[0]!;
/** The captured Alertmanager alert, normalized as a source adapter would. */
const amAlert: Alert = {
  source: 'alertmanager',
  status: 'firing',
  labels: first.labels,
  annotations: first.annotations,
  startsAt: first.startsAt,
  endsAt: null,
  fingerprint: first.fingerprint,
  groupKey: webhook.groupKey,
};
const KEY = fixtureJson<{ dedup_key: string }>(
  'alertmanager/captured-am0.25-to-pagerduty-events-v2-trigger.json',
).dedup_key;

let pd: FakePagerDuty | null = null;
afterEach(async () => {
  await pd?.close();
  pd = null;
});

async function setup(incidents: Parameters<typeof startFakePagerDuty>[0]['incidents'] = []) {
  pd = await startFakePagerDuty({ token: TOKEN, from: FROM, incidents });
  const client = createPagerDutyClient({ baseUrl: pd.url, token: TOKEN, from: FROM, sleep: recordingSleep().sleep });
  return { pd, reporter: createPagerDutyReporter(client, { publicUrl: PUBLIC_URL, now: () => AT }) };
}

test('the incident in the context gets the rendered note', async () => {
  const { pd, reporter } = await setup();
  const result = sampleResult();
  const d = await reporter.report(result, { alert: null, incident: { provider: 'pagerduty', id: 'PT4KHLK' } });
  expect(d).toEqual({
    reporter: 'pagerduty',
    ok: true,
    status: 201,
    attempts: 1,
    target: 'PT4KHLK',
    error: null,
    at: AT.toISOString(),
  });
  expect(pd.notes).toEqual([{ incidentPath: 'PT4KHLK', content: renderNote(result, { publicUrl: PUBLIC_URL }) }]);
  expect(pd.requests.filter((r) => r.method === 'GET')).toHaveLength(0); // no lookup needed
});

test('an Alertmanager alert finds its incident by sha256(groupKey) (docs/protocols.md §1.5)', async () => {
  expect(alertmanagerIncidentKey(webhook.groupKey)).toBe(KEY);
  const { pd, reporter } = await setup([{ id: 'PAMINC1', incident_key: KEY, status: 'triggered' }]);
  const d = await reporter.report(sampleResult(), { alert: amAlert, incident: null });
  // attempts: the note's POST; the incident look-up before it is not a delivery attempt.
  expect(d).toMatchObject({ ok: true, attempts: 1, target: 'PAMINC1', error: null });
  expect(pd.requests[0]!.url).toContain(`incident_key=${KEY}`);
  expect(pd.notes.map((n) => n.incidentPath)).toEqual(['PAMINC1']);
});

test('no open incident with that key: a failed Delivery naming the key, not an exception', async () => {
  const { pd, reporter } = await setup([{ id: 'POLD', incident_key: KEY, status: 'resolved' }]);
  const d = await reporter.report(sampleResult(), { alert: amAlert, incident: null });
  expect(d).toMatchObject({ ok: false, status: 200, attempts: 0, target: null }); // no note was posted
  expect(d.error).toBe(`no PagerDuty incident with incident_key ${KEY} (triggered or acknowledged)`);
  expect(pd.notes).toHaveLength(0);
});

test('the incident on a PagerDuty-sourced alert, or in the trigger, is used', async () => {
  const { pd, reporter } = await setup();
  const pdAlert: Alert = { ...amAlert, source: 'pagerduty', incident: { provider: 'pagerduty', id: 'PFROMALERT' } };
  delete pdAlert.groupKey;
  await reporter.report(sampleResult(), { alert: pdAlert, incident: null });
  await reporter.report(
    sampleResult({ trigger: { kind: 'manual', incident: { provider: 'pagerduty', id: 'PFROMTRIG' } } }),
    { alert: null, incident: null },
  );
  expect(pd.notes.map((n) => n.incidentPath)).toEqual(['PFROMALERT', 'PFROMTRIG']);
});

test('nothing to find the incident by: a failed Delivery without a request', async () => {
  const { pd, reporter } = await setup();
  const d = await reporter.report(sampleResult(), { alert: null, incident: null });
  expect(d).toMatchObject({ ok: false, attempts: 0, status: null });
  expect(d.error).toMatch(/no PagerDuty incident/);
  expect(pd.requests).toHaveLength(0);
});

test('a rejected note (resolved incident) is a failed Delivery with the PagerDuty message', async () => {
  pd = await startFakePagerDuty({
    token: TOKEN,
    from: FROM,
    script: [{ status: 400, body: JSON.stringify({ error: { message: 'Incident Already Resolved', code: 1001 } }) }],
  });
  const client = createPagerDutyClient({ baseUrl: pd.url, token: TOKEN, from: FROM });
  const d = await createPagerDutyReporter(client, { publicUrl: PUBLIC_URL }).report(sampleResult(), {
    alert: null,
    incident: { provider: 'pagerduty', id: 'PT4KHLK' },
  });
  expect(d).toMatchObject({ ok: false, status: 400, attempts: 1, target: 'PT4KHLK' });
  expect(d.error).toContain('Incident Already Resolved (code 1001)');
  expect(Date.parse(d.at)).not.toBeNaN();
});

test('report() never throws, even when the client does', async () => {
  const broken: PagerDutyClient = {
    createNote: () => Promise.reject(new Error('bug')),
    findIncidentByKey: () => Promise.reject(new Error('bug')),
    listIncidentAlerts: () => Promise.reject(new Error('bug')),
  };
  const d = await createPagerDutyReporter(broken, { publicUrl: PUBLIC_URL, now: () => AT }).report(sampleResult(), {
    alert: null,
    incident: { provider: 'pagerduty', id: 'P1' },
  });
  expect(d).toEqual({
    reporter: 'pagerduty',
    ok: false,
    status: null,
    attempts: 0,
    target: null,
    error: 'internal error: bug',
    at: AT.toISOString(),
  });
});
