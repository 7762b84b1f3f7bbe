import { createSlackReporter } from '../../../src/reporters/slack-reporter';
import { renderSlackMessage } from '../../../src/reporters/render-note';
import { recordingSleep, startFakeServer, type FakeServer, type Reply } from '../../helpers/fake-http-server';
import { sampleResult } from '../../helpers/sample-result';

const PUBLIC_URL = 'https://rune.example.com';
// The path of an incoming-webhook URL is its credential.
const HOOK_PATH = '/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX';

let server: FakeServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function setup(replies: Reply[]) {
  const queue = [...replies];
  server = await startFakeServer(() => queue.shift() ?? { status: 200, body: 'ok' });
  const rec = recordingSleep();
  const reporter = createSlackReporter({
    webhookUrl: `${server.url}${HOOK_PATH}`,
    publicUrl: PUBLIC_URL,
    sleep: rec.sleep,
    random: () => 0,
  });
  return { server, reporter, waits: rec.waits };
}

test('posts {text} as JSON to the webhook; Slack answers 200 ok', async () => {
  const { server, reporter } = await setup([]);
  const result = sampleResult({ summary: 'a < b & c' });
  const d = await reporter.report(result, { alert: null, incident: null });
  expect(d).toMatchObject({ reporter: 'slack', ok: true, status: 200, attempts: 1, target: server.url, error: null });
  const req = server.requests[0]!;
  expect(req.method).toBe('POST');
  expect(req.url).toBe(HOOK_PATH);
  expect(req.headers['content-type']).toBe('application/json');
  const body = JSON.parse(req.body.toString('utf8')) as { text: string };
  expect(body).toEqual(renderSlackMessage(result, { publicUrl: PUBLIC_URL }));
  expect(body.text).toContain('a &lt; b &amp; c');
});

test('429 with Retry-After: 2 waits 2 s, then delivers', async () => {
  const { reporter, waits, server } = await setup([
    { status: 429, headers: { 'retry-after': '2' }, body: 'rate_limited' },
  ]);
  expect(await reporter.report(sampleResult(), { alert: null, incident: null })).toMatchObject({
    ok: true,
    attempts: 2,
  });
  expect(waits).toEqual([2000]);
  expect(server.requests).toHaveLength(2);
});

test('5xx is retried a few times (3 attempts by default), then fails', async () => {
  const { reporter, server } = await setup([
    { status: 500 },
    { status: 502 },
    { status: 503 },
    { status: 200, body: 'ok' },
  ]);
  const d = await reporter.report(sampleResult(), { alert: null, incident: null });
  expect(d).toMatchObject({ ok: false, status: 503, attempts: 3 });
  expect(server.requests).toHaveLength(3);
});

test('4xx is permanent; the reason is kept and the webhook URL (a secret) is not', async () => {
  const { reporter, server } = await setup([{ status: 404, body: `channel_not_found ${HOOK_PATH}` }]);
  const d = await reporter.report(sampleResult(), { alert: null, incident: null });
  expect(d).toMatchObject({ ok: false, status: 404, attempts: 1 });
  expect(d.error).toContain('channel_not_found');
  expect(JSON.stringify(d)).not.toContain('XXXXXXXXXXXXXXXXXXXXXXXX');
  expect(server.requests).toHaveLength(1);
});
