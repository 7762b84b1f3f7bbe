import { createHmac, timingSafeEqual } from 'node:crypto';
import { createWebhookReporter, signWebhookBody } from '../../../src/reporters/webhook-reporter';
import {
  recordingSleep,
  startFakeServer,
  type FakeServer,
  type Recorded,
  type Reply,
} from '../../helpers/fake-http-server';
import { failedResult } from '../../helpers/sample-result';

const SECRET = 'whsec-0123456789abcdef';

let server: FakeServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** What a receiver does: HMAC over the raw bytes it got, constant-time compare. */
function verifies(req: Recorded, secret: string): boolean {
  const ts = String(req.headers['x-rune-timestamp']);
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', secret)
      .update(Buffer.concat([Buffer.from(`${ts}.`), req.body]))
      .digest('hex')}`,
  );
  const got = Buffer.from(String(req.headers['x-rune-signature']));
  return got.length === expected.length && timingSafeEqual(got, expected);
}

async function setup(replies: Reply[], clock: () => Date) {
  const queue = [...replies];
  server = await startFakeServer(() => queue.shift() ?? { status: 204 });
  const rec = recordingSleep();
  const reporter = createWebhookReporter({
    url: `${server.url}/hooks/rune?key=querysecret`,
    secret: SECRET,
    now: clock,
    sleep: rec.sleep,
    random: () => 0,
  });
  return { server, reporter, waits: rec.waits };
}

test('POSTs the Result JSON, signed over timestamp + "." + raw body', async () => {
  const at = new Date('2026-11-23T23:12:00.000Z');
  const { server, reporter } = await setup([], () => at);
  const result = failedResult({ summary: 'ünïcödé ✓ "quotes" \n newline' });
  const d = await reporter.report(result, { alert: null, incident: null });
  expect(d).toMatchObject({
    reporter: 'webhook',
    ok: true,
    status: 204,
    attempts: 1,
    target: server.url,
    error: null,
    at: at.toISOString(),
  });
  const req = server.requests[0]!;
  expect(req.url).toBe('/hooks/rune?key=querysecret');
  expect(req.headers['content-type']).toBe('application/json');
  expect(req.headers['x-rune-timestamp']).toBe(String(at.getTime() / 1000));
  expect(req.headers['x-rune-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
  expect(verifies(req, SECRET)).toBe(true);
  expect(verifies(req, 'another-secret')).toBe(false);
  expect(JSON.parse(req.body.toString('utf8'))).toEqual(result);
});

test('signWebhookBody matches an independent HMAC', () => {
  const expected = createHmac('sha256', 'k').update('1700000000.{"a":1}').digest('hex');
  expect(signWebhookBody('k', 1700000000, '{"a":1}')).toBe(`sha256=${expected}`);
});

test('a retry is signed afresh with the current timestamp', async () => {
  let t = Date.parse('2026-11-23T23:12:00.000Z');
  const clock = () => new Date((t += 30_000));
  const { server, reporter } = await setup([{ status: 503 }], clock);
  expect(await reporter.report(failedResult(), { alert: null, incident: null })).toMatchObject({
    ok: true,
    attempts: 2,
  });
  const [a, b] = server.requests;
  expect(a!.headers['x-rune-timestamp']).not.toBe(b!.headers['x-rune-timestamp']);
  expect(verifies(a!, SECRET) && verifies(b!, SECRET)).toBe(true);
});

test('4xx is permanent; neither the secret nor the URL query leaks into the Delivery', async () => {
  const { server, reporter, waits } = await setup(
    [{ status: 401, body: `bad signature for ${SECRET}` }],
    () => new Date(),
  );
  const d = await reporter.report(failedResult(), { alert: null, incident: null });
  expect(d).toMatchObject({ ok: false, status: 401, attempts: 1 });
  expect(d.error).toContain('bad signature');
  expect(JSON.stringify(d)).not.toContain(SECRET);
  expect(JSON.stringify(d)).not.toContain('querysecret');
  expect(waits).toEqual([]);
  expect(server.requests).toHaveLength(1);
});
