import { createPagerDutyClient } from '../../../src/reporters/pagerduty-client';
import { createPagerDutyReporter } from '../../../src/reporters/pagerduty-reporter';
import { createSlackReporter } from '../../../src/reporters/slack-reporter';
import { startFakePagerDuty, type FakePagerDuty } from '../../helpers/fake-pagerduty';
import { startFakeServer, type FakeServer } from '../../helpers/fake-http-server';
import { sampleResult } from '../../helpers/sample-result';

let pd: FakePagerDuty | null = null;
let slack: FakeServer | null = null;
afterEach(async () => {
  await pd?.close();
  await slack?.close();
});

test('a PagerDuty that never answers does not delay another delivery; it ends by timeout', async () => {
  pd = await startFakePagerDuty({ token: 't0ken-xyz', from: 'bot@example.com', script: ['hang', 'hang'] });
  slack = await startFakeServer(() => ({ status: 200, body: 'ok' }));
  const client = createPagerDutyClient({
    baseUrl: pd.url,
    token: 't0ken-xyz',
    from: 'bot@example.com',
    timeoutMs: 400,
    maxAttempts: 2,
    sleep: async () => {},
  });
  const pdReporter = createPagerDutyReporter(client, { publicUrl: 'https://rune.example.com' });
  const slackReporter = createSlackReporter({
    webhookUrl: `${slack.url}/services/x`,
    publicUrl: 'https://rune.example.com',
  });

  const order: string[] = [];
  const started = Date.now();
  const track = <T>(name: string, p: Promise<T>) => p.then((v) => (order.push(name), { v, ms: Date.now() - started }));
  // The slow one starts first: a shared queue would make the fast one wait behind it.
  const slow = track(
    'pagerduty',
    pdReporter.report(sampleResult({ job_id: 'job-slow' }), {
      alert: null,
      incident: { provider: 'pagerduty', id: 'PSTUCK' },
    }),
  );
  const fast = track(
    'slack',
    slackReporter.report(sampleResult({ job_id: 'job-fast' }), { alert: null, incident: null }),
  );
  const [s, f] = await Promise.all([slow, fast]);

  expect(order).toEqual(['slack', 'pagerduty']);
  expect(f.v.ok).toBe(true);
  expect(f.ms).toBeLessThan(300);
  expect(s.v).toMatchObject({ ok: false, status: null, attempts: 2 });
  expect(s.v.error).toContain('no response within 400 ms');
  expect(s.ms).toBeGreaterThanOrEqual(800);
});

test('two PagerDuty notes for different jobs proceed side by side', async () => {
  pd = await startFakePagerDuty({ token: 't0ken-xyz', from: 'bot@example.com', script: ['hang'] });
  const client = createPagerDutyClient({
    baseUrl: pd.url,
    token: 't0ken-xyz',
    from: 'bot@example.com',
    timeoutMs: 500,
    maxAttempts: 1,
  });
  const reporter = createPagerDutyReporter(client, { publicUrl: 'https://rune.example.com' });
  const order: string[] = [];
  const stuck = reporter
    .report(sampleResult(), { alert: null, incident: { provider: 'pagerduty', id: 'PSTUCK' } })
    .then((d) => (order.push('stuck'), d));
  const other = reporter
    .report(sampleResult(), { alert: null, incident: { provider: 'pagerduty', id: 'POTHER' } })
    .then((d) => (order.push('other'), d));
  const [a, b] = await Promise.all([stuck, other]);
  expect(order).toEqual(['other', 'stuck']);
  expect(b.ok).toBe(true);
  expect(a.ok).toBe(false);
  expect(pd.notes.map((n) => n.incidentPath)).toEqual(['POTHER']);
});
