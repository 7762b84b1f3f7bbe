/**
 * Metrics and logs of `rune serve` after one scripted run through the real service (docs/observability.md):
 * real HTTP, SQLite file, a real sshd for one node, the local transport for another, fake Slack,
 * generic-webhook and PagerDuty REST servers on loopback, every configured secret set, and the
 * real pino logger writing to a captured stream.
 */
import { createHmac } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parse } from 'yaml';
import { createLogger } from '../../src/server/create-logger';
import type { RunningServer } from '../../src/server/start-server';
import { alertmanagerPayload } from '../helpers/alertmanager-payload';
import { tokenLine } from '../helpers/api-tokens';
import { startFakeServer, type FakeServer } from '../helpers/fake-http-server';
import { startFakePagerDuty, type FakePagerDuty } from '../helpers/fake-pagerduty';
import { fixtureBytes } from '../helpers/fixtures';
import { startSshd, type TestSshd } from '../helpers/sshd';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { ROOT, startTestServer } from '../helpers/test-server';
import { waitFor } from '../helpers/wait-for';

// Every secret RUNE can be configured with, each distinctive so a leak is unmistakable.
const AM_TOKEN = 'am-webhook-token-7f3a9c1e5b';
const API_TOKEN = 'api-token-operator-4d8e2b6a0c';
// docs/protocols.md §2.3: signs the ping fixture
const PD_SECRET = 'HvPtlQNKMPpHSSqJpCdndXfo7HnGXa1pnH6w5axpxLFn9aRBNBGh4e8/HlonK5mz';
const PD_OLD_SECRET = 'pd-old-rotation-secret-93e1c7';
const PD_REST_TOKEN = 'u+pd-rest-token-Zx81Qw27';
const SLACK_PATH = '/services/T0RUNE/B0RUNE/slackSecretPart5e7d1';
const HMAC_SECRET = 'generic-webhook-hmac-secret-61b2f0';
const PING_SIGNATURE = 'v1=0e83584cbab86f98c51517cf96a70c90e910532d3d2f067d58c753cc8980a05b';

let sshd: TestSshd;
let dir: string;
let s: RunningServer;
let slack: FakeServer;
let hook: FakeServer;
let pd: FakePagerDuty;
const lines: string[] = [];
let metricsText = '';
let slackUrl = '';

const post = (path: string, headers: Record<string, string>, body: Buffer | string) =>
  fetch(`${s.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body }).then(
    async (r) => ({ status: r.status, body: JSON.parse((await r.text()) || 'null') }),
  );
const am = (alertname: string, fingerprint: string, token = AM_TOKEN) =>
  post(
    '/webhooks/alertmanager',
    { Authorization: `Bearer ${token}` },
    alertmanagerPayload(`{}:{alertname="${alertname}"}`, [
      { labels: { alertname, nodename: alertname === 'Ok' ? 'ssh-node' : 'local-node' }, fingerprint },
    ]),
  );
const api = (path: string, token = API_TOKEN) => post(path, { Authorization: `Bearer ${token}` }, '{}');
const jobOf = (id: string) => s.store.getJob(id);

beforeAll(async () => {
  sshd = await startSshd();
  dir = makeTempDir('obs');
  const plugins = join(dir, 'plugins');
  mkdirSync(plugins);
  copyFileSync(join(ROOT, 'plugins', 'noop.sh'), join(plugins, 'noop.sh'));
  copyFileSync(join(ROOT, 'test', 'fixtures', 'plugins', 'fail.sh'), join(plugins, 'fail.sh'));
  slack = await startFakeServer(() => ({ status: 200, body: 'ok' }));
  // A permanent failure: one attempt.
  hook = await startFakeServer(() => ({ status: 400, body: 'bad request: no such receiver' }));
  pd = await startFakePagerDuty({ token: PD_REST_TOKEN, from: 'rune-bot@example.com' });
  slackUrl = `${slack.url}${SLACK_PATH}`;
  writeFileSync(join(dir, 'slack-url'), `${slackUrl}\n`);
  writeFileSync(join(dir, 'hook-secret'), `${HMAC_SECRET}\n`);
  writeFileSync(join(dir, 'pd-token'), PD_REST_TOKEN);
  writeFileSync(join(dir, 'tokens'), tokenLine('alice', 'admin', API_TOKEN));
  const config = `defaults: {connect_timeout: 5s}
nodes:
  - {name: ssh-node, address: 127.0.0.1, port: ${sshd.port}}
  - {name: local-node, transport: local}
notify:
  pagerduty: {from: rune-bot@example.com}
  slack: {webhook_url_file: ${join(dir, 'slack-url')}}
  webhook: {url: "${hook.url}/rune", secret_file: ${join(dir, 'hook-secret')}}
rules:
  - name: ok-rule
    matchers: ['alertname="Ok"']
    node: "{{ labels.nodename }}"
    steps: [{action: noop}]
    notify: [slack]
  - name: bad-rule
    matchers: ['alertname="Bad"']
    node: "{{ labels.nodename }}"
    steps: [{action: fail}]
    breaker: {failures: 1, probe_after: 1h}
    notify: [webhook]
`;
  const env = {
    RUNE_SSH_KEY: sshd.userKey,
    RUNE_SSH_KNOWN_HOSTS: sshd.knownHosts,
    RUNE_SSH_USER: sshd.user,
    RUNE_WEBHOOK_TOKEN: AM_TOKEN,
    RUNE_PAGERDUTY_SECRETS: `${PD_OLD_SECRET},${PD_SECRET}`,
    RUNE_PAGERDUTY_TOKEN_FILE: join(dir, 'pd-token'),
    RUNE_PAGERDUTY_API_URL: pd.url,
    RUNE_API_TOKENS_FILE: join(dir, 'tokens'),
  };
  const stream = new PassThrough();
  let partial = '';
  stream.on('data', (c: Buffer) => {
    const parts = (partial + c.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  s = await startTestServer({ dir, name: 'rules', config, plugins, env, log: createLogger(stream) });

  // ---- the scripted run
  // Auth failures with credentials that resemble the real ones.
  expect((await am('Ok', 'fp-x', AM_TOKEN.slice(0, -1) + 'f')).status).toBe(401);
  const basic = Buffer.from(`alertmanager:${AM_TOKEN.toUpperCase()}`).toString('base64');
  expect(
    (await post('/webhooks/alertmanager', { Authorization: `Basic ${basic}` }, alertmanagerPayload('g', []))).status,
  ).toBe(401);
  expect((await api('/api/v1/pause', API_TOKEN.replace('operator', 'operat0r'))).status).toBe(401);
  const pingBytes = fixtureBytes('pagerduty/webhook-v3-pagey.ping.aldaviva-real-signed.json');
  const wrongSig = `v1=${createHmac('sha256', PD_SECRET.slice(1)).update(pingBytes).digest('hex')}`;
  expect(
    (
      await post(
        '/webhooks/pagerduty',
        { 'X-PagerDuty-Signature': wrongSig, 'X-Webhook-Id': 'w-bad' },
        fixtureBytes('pagerduty/webhook-v3-pagey.ping.aldaviva-real-signed.json'),
      )
    ).status,
  ).toBe(401);
  // A bad body with the right token.
  expect(
    (await post('/webhooks/alertmanager', { Authorization: `Bearer ${AM_TOKEN}` }, '{"alerts": "nope"')).status,
  ).toBe(400);
  // PagerDuty: a signed ping, and its redelivery (same X-Webhook-Id).
  const ping = fixtureBytes('pagerduty/webhook-v3-pagey.ping.aldaviva-real-signed.json');
  expect(
    (await post('/webhooks/pagerduty', { 'X-PagerDuty-Signature': PING_SIGNATURE, 'X-Webhook-Id': 'w-1' }, ping)).body
      .status,
  ).toBe('pong');
  expect(
    (await post('/webhooks/pagerduty', { 'X-PagerDuty-Signature': PING_SIGNATURE, 'X-Webhook-Id': 'w-1' }, ping)).body
      .status,
  ).toBe('duplicate');
  // A job that succeeds over SSH (its Slack note delivered), and the same episode re-sent.
  const ok = await am('Ok', 'fp-ok-1');
  expect(ok.status).toBe(202);
  const dup = await am('Ok', 'fp-ok-1');
  expect(dup.body).toMatchObject({ jobs: [], duplicates: ok.body.jobs });
  // A job that fails (its webhook note refused): the breaker (failures: 1) opens.
  const bad = await am('Bad', 'fp-bad-1');
  await s.queue.idle();
  // The failed job's note and the breaker-open note both go to the (refusing) webhook.
  await waitFor(
    () => jobOf(bad.body.jobs[0])!.deliveries.length >= 2 && jobOf(ok.body.jobs[0])?.deliveries.length,
    'the notes',
  );
  expect(jobOf(ok.body.jobs[0])).toMatchObject({ status: 'succeeded', deliveries: [{ reporter: 'slack', ok: true }] });
  expect(jobOf(bad.body.jobs[0])).toMatchObject({
    status: 'failed',
    deliveries: [
      { reporter: 'webhook', ok: false, status: 400 },
      { reporter: 'webhook', ok: false },
    ],
  });
  // A guard skip: the open breaker.
  const skipped = await am('Bad', 'fp-bad-2');
  expect(skipped.body.suppressed[0].reason).toMatch(/^breaker_open: /);
  // Pause; an alert while paused is skipped.
  expect((await api('/api/v1/pause')).status).toBe(200);
  expect((await am('Ok', 'fp-ok-2')).body.suppressed[0].reason).toMatch(/^paused: /);
  await s.queue.idle();
  await waitFor(() => hook.requests.length >= 3 && slack.requests.length >= 2, 'the notes of the skipped jobs');
  const m = await fetch(`${s.url}/metrics`, { headers: { Authorization: `Bearer ${API_TOKEN}` } });
  expect(m.status).toBe(200);
  expect(m.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  metricsText = await m.text();
}, 60_000);

afterAll(async () => {
  await s?.close(5000);
  await Promise.all([slack, hook, pd].map((r) => r?.close()));
  await sshd?.stop();
  removeTempDir(dir);
});

/** The value of one sample, by metric name and exact label set; undefined when absent. */
function sample(name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  for (const line of metricsText.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = (m[2] ?? '')
      .split(/,(?=\w+=")/)
      .filter(Boolean)
      .sort()
      .join(',');
    if (got === want) return Number(m[3]);
  }
  return undefined;
}

describe('GET /metrics after the scripted run', () => {
  test('webhooks by source and outcome', () => {
    // ok, bad, bad again, ok while paused
    expect(sample('rune_webhooks_received_total', { source: 'alertmanager', outcome: 'accepted' })).toBe(4);
    expect(sample('rune_webhooks_received_total', { source: 'alertmanager', outcome: 'duplicate' })).toBe(1);
    expect(sample('rune_webhooks_received_total', { source: 'alertmanager', outcome: 'unauthorized' })).toBe(2);
    expect(sample('rune_webhooks_received_total', { source: 'alertmanager', outcome: 'bad_request' })).toBe(1);
    expect(sample('rune_webhooks_received_total', { source: 'pagerduty', outcome: 'unauthorized' })).toBe(1);
    expect(sample('rune_webhooks_received_total', { source: 'pagerduty', outcome: 'pong' })).toBe(1);
    expect(sample('rune_webhooks_received_total', { source: 'pagerduty', outcome: 'duplicate' })).toBe(1);
    expect(metricsText).toContain('# TYPE rune_webhooks_received_total counter');
  });

  test('rule matches, jobs by action/status/transport, and the duration histogram', () => {
    // The duplicate re-send matched too: matches count alerts, jobs count runs.
    expect(sample('rune_rule_matches_total', { rule: 'ok-rule' })).toBe(3);
    expect(sample('rune_rule_matches_total', { rule: 'bad-rule' })).toBe(2);
    expect(sample('rune_jobs_total', { action: 'noop', status: 'succeeded', transport: 'ssh' })).toBe(1);
    expect(sample('rune_jobs_total', { action: 'fail', status: 'failed', transport: 'local' })).toBe(1);
    expect(sample('rune_jobs_total', { action: 'fail', status: 'skipped', transport: 'none' })).toBe(1);
    expect(sample('rune_jobs_total', { action: 'noop', status: 'skipped', transport: 'none' })).toBe(1);
    expect(metricsText).toContain('# TYPE rune_job_duration_seconds histogram');
    expect(sample('rune_job_duration_seconds_count', { action: 'noop', transport: 'ssh' })).toBe(1);
    expect(sample('rune_job_duration_seconds_count', { action: 'fail', transport: 'local' })).toBe(1);
    expect(sample('rune_job_duration_seconds_bucket', { action: 'noop', transport: 'ssh', le: '+Inf' })).toBe(1);
    expect(sample('rune_job_duration_seconds_sum', { action: 'noop', transport: 'ssh' })).toBeGreaterThan(0);
    // Skipped jobs did not run: no duration.
    expect(sample('rune_job_duration_seconds_count', { action: 'fail', transport: 'none' })).toBeUndefined();
  });

  test('guard decisions by reason prefix, breaker state and openings, pause', () => {
    expect(sample('rune_guard_decisions_total', { reason: 'breaker_open' })).toBe(1);
    expect(sample('rune_guard_decisions_total', { reason: 'paused' })).toBe(1);
    expect(metricsText).not.toMatch(/rune_guard_decisions_total\{reason="[^"]*:/); // never the full message
    expect(sample('rune_breaker_open', { rule: 'bad-rule' })).toBe(1);
    expect(sample('rune_breaker_open', { rule: 'ok-rule' })).toBe(0);
    expect(sample('rune_breaker_opened_total', { rule: 'bad-rule' })).toBe(1);
    expect(sample('rune_paused')).toBe(1);
    expect(sample('rune_ready')).toBe(1);
  });

  test('notes delivered and failed, SSH pool, queue depth, process metrics', () => {
    // Slack: the success and the paused skip; webhook: the failure, the breaker note and the breaker_open skip.
    expect(sample('rune_notes_total', { reporter: 'slack', outcome: 'delivered' })).toBe(2);
    expect(sample('rune_notes_total', { reporter: 'webhook', outcome: 'failed' })).toBe(3);
    expect(sample('rune_ssh_pool_connections')).toBe(1); // the SSH run's connection, kept for reuse
    expect(sample('rune_queue_jobs', { state: 'running' })).toBe(0);
    expect(sample('rune_queue_jobs', { state: 'waiting' })).toBe(0);
    expect(sample('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sample('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(metricsText).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  });

  test('each rune_ metric examples/prometheus-rules.yaml uses is in /metrics (alerts cannot drift from code)', () => {
    const doc = parse(readFileSync(join(ROOT, 'examples', 'prometheus-rules.yaml'), 'utf8')) as {
      groups: { rules: { alert?: string; expr: string }[] }[];
    };
    const exprs = doc.groups.flatMap((g) => g.rules.map((r) => r.expr));
    const used = new Set(exprs.flatMap((e) => e.match(/\brune_[a-z_]+\b/g) ?? []));
    expect(used.size).toBeGreaterThanOrEqual(6);
    const exposed = new Set(metricsText.split('\n').flatMap((l) => /^(rune_[a-z_]+)[{ ]/.exec(l)?.[1] ?? []));
    const missing = [...used].filter((n) => !exposed.has(n));
    expect(missing).toEqual([]);
  });
});

describe('logs of the scripted run', () => {
  const entries = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

  test('every line is JSON, and no configured secret appears in any of them', () => {
    expect(lines.length).toBeGreaterThan(10);
    const secrets = [
      AM_TOKEN,
      API_TOKEN,
      PD_SECRET,
      PD_OLD_SECRET,
      PD_REST_TOKEN,
      slackUrl,
      SLACK_PATH,
      'slackSecretPart5e7d1',
      HMAC_SECRET,
    ];
    const all = lines.join('\n');
    for (const secret of secrets) {
      if (all.includes(secret))
        throw new Error(
          `secret ${JSON.stringify(secret)} found in the log:\n${lines.filter((l) => l.includes(secret)).join('\n')}`,
        );
      expect(all).not.toContain(JSON.stringify(secret).slice(1, -1));
    }
    // The flow produced what it should have logged: auth failures, jobs, a failed note, the breaker.
    const msgs = entries().map((e) => String(e.msg));
    for (const want of [
      /wrong webhook token/,
      /unknown API token/,
      /signature/i,
      /^job succeeded/,
      /^job failed/,
      /^report not delivered$/,
      /^circuit breaker OPEN/,
      /^rule run skipped: breaker_open/,
      /^automatic runs PAUSED$/,
    ]) {
      expect(msgs.some((m) => want.test(m))).toBe(true);
    }
  });

  test('every line about a job carries its job_id and trace_id', () => {
    const aboutJobs = entries().filter((e) => 'job_id' in e || /^(job|report|rule run)\b/.test(String(e.msg)));
    expect(aboutJobs.length).toBeGreaterThanOrEqual(6);
    for (const e of aboutJobs) {
      expect(e).toMatchObject({
        job_id: expect.stringMatching(/\S/),
        trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      });
      const job = s.store.getJob(e.job_id as string);
      expect(job?.traceId).toBe(e.trace_id);
    }
  });
});
