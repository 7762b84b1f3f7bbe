import { alertmanagerIncidentKey } from '../../../src/reporters/alertmanager-incident-key';
import { createPagerDutyClient, type PagerDutyClientOptions } from '../../../src/reporters/pagerduty-client';
import { fixtureBytes, fixtureJson } from '../../helpers/fixtures';
import { startFakePagerDuty, type FakePagerDuty } from '../../helpers/fake-pagerduty';
import { closedServerUrl, recordingSleep, type Reply } from '../../helpers/fake-http-server';

const TOKEN = 'y_NbAkKc66ryYTWUXYEu';
const FROM = 'rune-bot@example.com';
const PD_ERROR_BODY = fixtureBytes('pagerduty/docs-rest-error-response.developer-docs.json').toString('utf8');
const RATE_LIMIT_BODY = fixtureBytes('pagerduty/docs-rest-429-rate-limit-response.developer-docs.json').toString(
  'utf8',
);

let pd: FakePagerDuty | null = null;
afterEach(async () => {
  await pd?.close();
  pd = null;
});

async function setup(
  fake: Partial<Parameters<typeof startFakePagerDuty>[0]> = {},
  client: Partial<PagerDutyClientOptions> = {},
) {
  pd = await startFakePagerDuty({ token: TOKEN, from: FROM, ...fake });
  const rec = recordingSleep();
  const c = createPagerDutyClient({
    baseUrl: pd.url,
    token: TOKEN,
    from: FROM,
    sleep: rec.sleep,
    random: () => 0,
    ...client,
  });
  return { pd, c, waits: rec.waits };
}

const status = (code: number, headers: Record<string, string> = {}, body = ''): Reply => ({
  status: code,
  headers,
  body,
});

test('a note lands with the exact §3.1 headers and body {"note":{"content":…}}', async () => {
  pd = await startFakePagerDuty({ token: TOKEN, from: FROM });
  // A trailing slash on the base URL is tolerated.
  const c = createPagerDutyClient({ baseUrl: `${pd.url}/`, token: TOKEN, from: FROM });
  const out = await c.createNote('PT4KHLK', 'RUNE restart-docker on web-1: succeeded');
  expect(out).toEqual({ ok: true, status: 201, attempts: 1, value: { noteId: 'N1' } });
  const req = pd.requests[0]!;
  expect(req.method).toBe('POST');
  expect(req.url).toBe('/incidents/PT4KHLK/notes');
  expect(req.headers['authorization']).toBe(`Token token=${TOKEN}`);
  expect(req.headers['accept']).toBe('application/vnd.pagerduty+json;version=2');
  expect(req.headers['content-type']).toBe('application/json');
  expect(req.headers['from']).toBe(FROM);
  expect(req.body.toString('utf8')).toBe('{"note":{"content":"RUNE restart-docker on web-1: succeeded"}}');
  expect(pd.notes).toEqual([{ incidentPath: 'PT4KHLK', content: 'RUNE restart-docker on web-1: succeeded' }]);
  expect(pd.headerProblems).toEqual([]);
});

test('a wrong From is caught by the fake (the header check can fail)', async () => {
  pd = await startFakePagerDuty({ token: TOKEN, from: FROM });
  const c = createPagerDutyClient({ baseUrl: pd.url, token: TOKEN, from: 'someone-else@example.com' });
  const out = await c.createNote('PT4KHLK', 'x');
  expect(out.ok).toBe(false);
  expect(pd.headerProblems).toEqual(['from: someone-else@example.com']);
  expect(pd.notes).toHaveLength(0);
});

test('429 with ratelimit-reset: 1, then 201: one note, the 1 s wait honoured', async () => {
  const { pd, c, waits } = await setup({
    script: [status(429, { 'ratelimit-reset': '1', 'content-type': 'application/json' }, RATE_LIMIT_BODY)],
  });
  const out = await c.createNote('PT4KHLK', 'hello');
  expect(out).toMatchObject({ ok: true, status: 201, attempts: 2 });
  expect(waits).toEqual([1000]);
  expect(pd.notes).toHaveLength(1);
});

test('429 asking for an hour waits at most maxWaitMs', async () => {
  const { c, waits } = await setup({ script: [status(429, { 'ratelimit-reset': '3600' })] }, { maxWaitMs: 5000 });
  expect((await c.createNote('PT4KHLK', 'x')).ok).toBe(true);
  expect(waits).toEqual([5000]);
});

test('429 without headers or body (§3.3 says it happens) falls back to jittered backoff', async () => {
  const { c, waits } = await setup({ script: [status(429), status(429)] }, { random: () => 0.5 });
  expect(await c.createNote('PT4KHLK', 'x')).toMatchObject({ ok: true, attempts: 3 });
  // base 500 ms, doubling; equal jitter with random 0.5 → 3/4 of the step.
  expect(waits).toEqual([375, 750]);
});

test('500, 500, then 200: exactly one note, attempts 3, exponential backoff', async () => {
  const { pd, c, waits } = await setup({ script: [status(500), status(500)], noteStatus: 200 });
  const out = await c.createNote('PT4KHLK', 'once');
  expect(out).toMatchObject({ ok: true, status: 200, attempts: 3 });
  expect(pd.notes).toEqual([{ incidentPath: 'PT4KHLK', content: 'once' }]);
  expect(waits).toEqual([250, 500]);
});

test('400 with a PagerDuty error body: permanent at once, PD message and code in the outcome', async () => {
  const { c, waits, pd } = await setup({
    script: [status(400, { 'content-type': 'application/json' }, PD_ERROR_BODY)],
  });
  const out = await c.createNote('PT4KHLK', 'x');
  expect(out.ok).toBe(false);
  if (out.ok) return;
  expect(out.status).toBe(400);
  expect(out.attempts).toBe(1);
  expect(out.pdError).toEqual({
    message: 'Error Message String',
    code: 2001,
    errors: ['human-readable error details', 'more details'],
  });
  expect(out.error).toBe(
    'PagerDuty create note: HTTP 400: Error Message String (code 2001): ' +
      'human-readable error details; more details after 1 attempt',
  );
  expect(waits).toEqual([]);
  expect(pd.requests).toHaveLength(1);
});

test.each([403, 404, 422])('%i is permanent (one request)', async (code) => {
  const { c, pd } = await setup({ script: [status(code)] });
  expect(await c.createNote('PT4KHLK', 'x')).toMatchObject({ ok: false, status: code, attempts: 1 });
  expect(pd.requests).toHaveLength(1);
});

test.each([408, 502, 503])('%i is retried', async (code) => {
  const { c, pd } = await setup({ script: [status(code)] });
  expect(await c.createNote('PT4KHLK', 'x')).toMatchObject({ ok: true, attempts: 2 });
  expect(pd.notes).toHaveLength(1);
});

test('server gone (connection refused): retried up to maxAttempts, then a failed outcome', async () => {
  const rec = recordingSleep();
  const c = createPagerDutyClient({
    baseUrl: await closedServerUrl(),
    token: TOKEN,
    from: FROM,
    sleep: rec.sleep,
    random: () => 0,
  });
  const out = await c.createNote('PT4KHLK', 'x');
  expect(out).toMatchObject({ ok: false, status: null, attempts: 5, timedOut: false });
  if (!out.ok) expect(out.error).toMatch(/^PagerDuty create note: network error: ECONNREFUSED after 5 attempts$/);
  expect(rec.waits).toEqual([250, 500, 1000, 2000]);
});

test('a dropped connection is retried and the note lands once', async () => {
  const { c, pd } = await setup({ script: ['destroy'] });
  expect(await c.createNote('PT4KHLK', 'x')).toMatchObject({ ok: true, attempts: 2 });
  expect(pd.notes).toHaveLength(1);
});

test('no answer within timeoutMs: each attempt times out, outcome says so', async () => {
  const { c, pd } = await setup({ script: ['hang', 'hang'] }, { timeoutMs: 150, maxAttempts: 2 });
  const out = await c.createNote('PT4KHLK', 'x');
  expect(out).toMatchObject({ ok: false, status: null, attempts: 2, timedOut: true });
  if (!out.ok) expect(out.error).toContain('no response within 150 ms');
  expect(pd.requests).toHaveLength(2);
  expect(pd.notes).toHaveLength(0);
});

test('401: the token never appears in the outcome, even when the server echoes it back', async () => {
  const { c } = await setup({
    script: [
      status(
        401,
        {},
        JSON.stringify({
          error: {
            message: `Authentication failed for Token token=${TOKEN}`,
            code: 2006,
            errors: [`bad key ${TOKEN}`],
          },
        }),
      ),
    ],
  });
  const out = await c.createNote('PT4KHLK', 'x');
  expect(out).toMatchObject({ ok: false, status: 401, attempts: 1 });
  expect(JSON.stringify(out)).not.toContain(TOKEN);
  if (!out.ok) expect(out.error).toContain('Authentication failed for Token token=[redacted]');
});

test('a wrong token meets the real 401 path of the fake, and is not echoed', async () => {
  pd = await startFakePagerDuty({ token: TOKEN, from: FROM });
  const wrong = 'wrong-token-0123456789';
  const c = createPagerDutyClient({ baseUrl: pd.url, token: wrong, from: FROM });
  const out = await c.createNote('PT4KHLK', 'x');
  expect(out).toMatchObject({ ok: false, status: 401, attempts: 1 });
  expect(JSON.stringify(out)).not.toContain(wrong);
});

test('incident ids are one encoded path segment; . and .. are refused without a request', async () => {
  const { c, pd } = await setup();
  await c.createNote('../x', 'a');
  await c.listIncidentAlerts('a/../../b?c#d');
  expect(pd.requests.map((r) => r.url)).toEqual([
    '/incidents/..%2Fx/notes',
    '/incidents/a%2F..%2F..%2Fb%3Fc%23d/alerts',
  ]);
  for (const bad of ['..', '.', '']) {
    expect(await c.createNote(bad, 'x')).toMatchObject({ ok: false, attempts: 0, status: null });
  }
  expect(pd.requests).toHaveLength(2);
});

describe('findIncidentByKey with the Alertmanager fixtures (docs/protocols.md §1.5)', () => {
  const webhook = fixtureJson<{ groupKey: string }>('alertmanager/captured-am0.25-webhook-firing-1alert.json');
  const trigger = fixtureJson<{ dedup_key: string }>(
    'alertmanager/captured-am0.25-to-pagerduty-events-v2-trigger.json',
  );
  const key = alertmanagerIncidentKey(webhook.groupKey);

  test('sha256(groupKey) of the captured webhook is the captured dedup_key', () => {
    expect(key).toBe(trigger.dedup_key);
    expect(key).toBe('ebef90548b6b91aec5258ec10caf4b40eaf9cdf58de44f537de423ce3dde89a9');
    const resolve = fixtureJson<{ dedup_key: string }>(
      'alertmanager/captured-am0.25-to-pagerduty-events-v2-resolve.json',
    );
    expect(resolve.dedup_key).toBe(key);
  });

  test('queries incident_key with open statuses and returns the open incident', async () => {
    const { c, pd } = await setup({
      incidents: [
        { id: 'POLD001', incident_key: key, status: 'resolved' },
        { id: 'POTHER1', incident_key: 'f'.repeat(64), status: 'triggered' },
        { id: 'PT4KHLK', incident_key: key, status: 'acknowledged' },
      ],
    });
    const out = await c.findIncidentByKey(key);
    expect(out).toEqual({
      ok: true,
      status: 200,
      attempts: 1,
      value: { provider: 'pagerduty', id: 'PT4KHLK', url: 'https://subdomain.pagerduty.com/incidents/PT4KHLK' },
    });
    expect(pd.requests[0]!.method).toBe('GET');
    expect(pd.requests[0]!.url).toBe(`/incidents?incident_key=${key}&statuses[]=triggered&statuses[]=acknowledged`);
  });

  test('no open incident with that key → value null, not an error', async () => {
    const { c } = await setup({ incidents: [{ id: 'POLD001', incident_key: key, status: 'resolved' }] });
    expect(await c.findIncidentByKey(key)).toEqual({ ok: true, status: 200, attempts: 1, value: null });
  });

  test('a 2xx that is not an incident list is a failure, not "no incident"', async () => {
    const { c } = await setup({ script: [status(200, {}, '<html>captive portal</html>')] });
    expect(await c.findIncidentByKey(key)).toMatchObject({ ok: false, status: 200 });
  });
});

test('listIncidentAlerts returns the parsed alerts page', async () => {
  const { c, pd } = await setup({
    alerts: { PT4KHLK: fixtureJson('pagerduty/openapi-rest-list-incident-alerts.response.json') },
  });
  const out = await c.listIncidentAlerts('PT4KHLK');
  expect(out).toEqual({
    ok: true,
    status: 200,
    attempts: 1,
    value: fixtureJson('pagerduty/openapi-rest-list-incident-alerts.response.json'),
  });
  expect(pd.requests[0]!.url).toBe('/incidents/PT4KHLK/alerts');
  expect(pd.requests[0]!.headers['authorization']).toBe(`Token token=${TOKEN}`);
});
