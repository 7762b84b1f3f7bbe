/**
 * Closing the loop (issue #14) against a real Alertmanager (Debian's prometheus-alertmanager on
 * loopback, started here): a succeeded rule run is verified by the alert's resolve, seen in
 * Alertmanager's API even when a silence keeps the resolve notification from being sent.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import type { RunningServer } from '../../src/server/start-server';
import { startAlertmanager, type TestAlertmanager } from '../helpers/alertmanager';
import { startPrometheus } from '../helpers/prometheus';
import { tokenLine } from '../helpers/api-tokens';
import { signIn } from '../helpers/dashboard-client';
import { startFakeServer, type FakeServer } from '../helpers/fake-http-server';
import { runCli } from '../helpers/run-cli';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { startTestServer, writeTestPlugins } from '../helpers/test-server';
import { waitFor } from '../helpers/wait-for';

const AM_TOKEN = 'am-token-loop';
const API_TOKEN = 'api-token-loop';
const COOKIE = 'rune_session'; // RUNE_PUBLIC_URL is the server's own http:// address

let dir: string;
let plugins: string;
/** The same plugins, `slow` holding its node for 2 s: a run long enough to look at its silence. */
let slowPlugins: string;
let am: TestAlertmanager;
let hook: FakeServer;
let server: RunningServer | undefined;

beforeAll(async () => {
  dir = makeTempDir('loop');
  writeFileSync(join(dir, 'tokens'), tokenLine('alice', 'admin', API_TOKEN));
  writeFileSync(join(dir, 'hook-secret'), 'hook-secret-loop\n');
  plugins = writeTestPlugins(dir, 0.2);
  slowPlugins = writeTestPlugins(join(dir, 'slow'), 2);
  am = await startAlertmanager();
  hook = await startFakeServer(() => ({ status: 200 }));
}, 30_000);
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(async () => {
  await hook?.close();
  await am?.stop();
  removeTempDir(dir);
});

const rule = (within: string, query?: string) => `nodes:
  - {name: "n*", transport: local}
notify:
  webhook: {url: "${hook?.url ?? ''}/notes", secret_file: ${join(dir, 'hook-secret')}}
rules:
  - name: disk-full
    matchers: ['alertname="DiskFull"']
    node: "{{ labels.nodename }}"
    steps:
      - action: echo
        params: {message: "cleaned up"}
    notify: [webhook]
    verify: {within: ${within}${query ? `, query: '${query}'` : ''}}
`;

function start(
  name: string,
  within: string,
  alertmanagerUrl: string,
  o: { query?: string; prometheusUrl?: string } = {},
): Promise<RunningServer> {
  return startTestServer({
    dir,
    name,
    config: rule(within, o.query),
    plugins,
    env: {
      RUNE_WEBHOOK_TOKEN: AM_TOKEN,
      RUNE_API_TOKENS_FILE: join(dir, 'tokens'),
      RUNE_ALERTMANAGER_URL: alertmanagerUrl,
      RUNE_VERIFY_INTERVAL: '200ms',
      ...(o.prometheusUrl ? { RUNE_PROMETHEUS_URL: o.prometheusUrl } : {}),
    },
  });
}

/** The alert in Alertmanager (as Prometheus would post it), and its fingerprint and startsAt there. */
async function fireInAlertmanager(labels: Record<string, string>): Promise<{ fingerprint: string; startsAt: string }> {
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  await am.postAlerts([{ labels, startsAt }]);
  const [got] = (await am.alerts(labels)) as unknown as { fingerprint: string; startsAt: string }[];
  if (!got) throw new Error(`alertmanager does not list ${JSON.stringify(labels)}:\n${am.log()}`);
  return got;
}

/** RUNE gets the firing alert as Alertmanager's webhook would send it; returns the run's last job id. */
async function notifyRune(
  s: RunningServer,
  labels: Record<string, string>,
  a: { fingerprint: string; startsAt: string },
): Promise<string> {
  const body = {
    receiver: 'rune',
    status: 'firing',
    alerts: [{ status: 'firing', labels, annotations: {}, startsAt: a.startsAt, endsAt: '0001-01-01T00:00:00Z' }],
    groupLabels: {},
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: am.url,
    version: '4',
    groupKey: `{}:{alertname="DiskFull"}`,
    truncatedAlerts: 0,
  };
  (body.alerts[0] as Record<string, unknown>).generatorURL = '';
  (body.alerts[0] as Record<string, unknown>).fingerprint = a.fingerprint;
  const res = await request(s.url)
    .post('/webhooks/alertmanager')
    .set('Authorization', `Bearer ${AM_TOKEN}`)
    .set('Content-Type', 'application/json')
    .send(JSON.stringify(body));
  expect(res.status).toBe(202);
  const id = (res.body as { jobs: string[] }).jobs[0] as string;
  await waitFor(() => s.store.getJob(id)?.status === 'succeeded', 'the run to succeed');
  return id;
}

/** Posts a firing alert to RUNE's webhook; returns the job ids of its run without waiting for them. */
async function postFiring(
  s: RunningServer,
  labels: Record<string, string>,
  a: { fingerprint: string; startsAt: string },
): Promise<string[]> {
  const alert = {
    status: 'firing',
    labels,
    annotations: {},
    startsAt: a.startsAt,
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: '',
    fingerprint: a.fingerprint,
  };
  const body = {
    receiver: 'rune',
    status: 'firing',
    alerts: [alert],
    groupLabels: {},
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: am.url,
    version: '4',
    groupKey: '{}:{alertname="DiskFull"}',
    truncatedAlerts: 0,
  };
  const res = await request(s.url)
    .post('/webhooks/alertmanager')
    .set('Authorization', `Bearer ${AM_TOKEN}`)
    .set('Content-Type', 'application/json')
    .send(JSON.stringify(body));
  expect(res.status).toBe(202);
  return (res.body as { jobs: string[] }).jobs;
}

const jobView = async (s: RunningServer, id: string) =>
  (await request(s.url).get(`/api/v1/jobs/${id}`).set('Authorization', `Bearer ${API_TOKEN}`)).body as {
    verification: { status: string; summary: string | null } | null;
  };

const notesSaying = (text: string) => hook.requests.filter((r) => r.body.toString().includes(text));

test('a silenced alert sends no resolve: the verification sees it resolved in Alertmanager', async () => {
  const labels = { alertname: 'DiskFull', nodename: 'n1', case: 'silenced' };
  const inAm = await fireInAlertmanager(labels);
  server = await start('silenced', '1m', am.url);
  const s = server;
  const id = await notifyRune(s, labels, inAm);
  const chain = s.store.getJob(id)?.chainId as string;
  await waitFor(() => s.store.getVerification(chain), 'the verification to start');
  // Still listed by Alertmanager: several checks later it is still pending.
  await new Promise((r) => setTimeout(r, 700));
  expect((await jobView(s, id)).verification).toMatchObject({ status: 'pending', summary: null });

  // Someone silences it (no notification of any kind for it now), then it resolves.
  const silence = {
    matchers: Object.entries(labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
    startsAt: new Date().toISOString(),
    endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    createdBy: 'test',
    comment: 'maintenance',
  };
  const created = await fetch(`${am.url}/api/v2/silences`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(silence),
    signal: AbortSignal.timeout(5000),
  });
  expect(created.status).toBe(200);
  await am.postAlerts([{ labels, startsAt: inAm.startsAt, endsAt: new Date().toISOString() }]);

  const done = await waitFor(() => {
    const v = s.store.getVerification(chain);
    return v?.status === 'verified' && v;
  }, 'the verification to see the resolve');
  expect(done.summary).toMatch(/^fixed: resolved \d+(\.\d)?(ms|s) after echo \(seen by Alertmanager\)$/);

  // The API, the CLI, the dashboard, the metrics and a follow-up note all say so.
  expect((await jobView(s, id)).verification).toMatchObject({ status: 'verified', summary: done.summary });
  const env = { RUNE_PUBLIC_URL: s.url, RUNE_TOKEN: API_TOKEN };
  const shown = await runCli(['jobs', 'show', id], env);
  expect(shown.stdout).toContain(`verification: verified: ${done.summary}`);
  const listed = await runCli(['jobs', 'list', '--rule', 'disk-full'], env);
  expect(listed.stdout).toMatch(new RegExp(`${id}\\s+succeeded, verified`));
  const browser = await signIn(s.url, API_TOKEN, COOKIE);
  const page = (await request(s.url).get(`/jobs/${id}`).set('Cookie', browser.cookie)).text;
  expect(page).toContain('<h2>Verification</h2>');
  expect(page).toContain(done.summary as string);
  const metrics = await request(s.url).get('/metrics').set('Authorization', `Bearer ${API_TOKEN}`);
  expect(metrics.text).toMatch(/rune_verifications_total\{rule="disk-full",outcome="verified"\} 1/);
  await waitFor(() => notesSaying(done.summary as string).length === 1, 'the follow-up note');

  // Effectiveness: the API and the dashboard's rules page.
  const stats = await request(s.url).get('/api/v1/rules/stats?since=1h').set('Authorization', `Bearer ${API_TOKEN}`);
  expect(stats.status).toBe(200);
  expect(stats.body.window).toBe('1h');
  expect(stats.body.rules).toEqual([
    expect.objectContaining({ rule: 'disk-full', runs: 1, succeeded: 1, verified: 1, not_fixed: 0, fixed_rate: 1 }),
  ]);
  expect(stats.body.rules[0].median_resolve_seconds).toBeGreaterThanOrEqual(0);
  const bad = await request(s.url).get('/api/v1/rules/stats?since=soon').set('Authorization', `Bearer ${API_TOKEN}`);
  expect(bad.status).toBe(400);
  const rulesPage = (await request(s.url).get('/rules').set('Cookie', browser.cookie)).text;
  expect(rulesPage).toContain('1 run(s): 1 succeeded, 0 failed, 0 not run; fixed 100% (1 of 1 verified)');
});

test('still firing when the window ends: not_fixed, and a note says so', async () => {
  const labels = { alertname: 'DiskFull', nodename: 'n2', case: 'firing' };
  const inAm = await fireInAlertmanager(labels);
  server = await start('firing', '1s', am.url);
  const s = server;
  const id = await notifyRune(s, labels, inAm);
  const chain = s.store.getJob(id)?.chainId as string;
  const done = await waitFor(() => {
    const v = s.store.getVerification(chain);
    return v?.status === 'not_fixed' && v;
  }, 'the window to end');
  expect(done.summary).toBe('not fixed: still firing 1s after echo');
  expect((await am.alerts(labels)).length).toBe(1); // it really still fires
  expect((await jobView(s, id)).verification).toMatchObject({ status: 'not_fixed' });
  await waitFor(() => notesSaying('not fixed: still firing 1s after echo').length === 1, 'the follow-up note');
});

test('an HA pair with one member down: the member that answers decides', async () => {
  const dead = await new Promise<number>((resolve) => {
    const l = createServer();
    l.listen(0, '127.0.0.1', () => {
      const port = (l.address() as { port: number }).port;
      l.close(() => resolve(port));
    });
  });
  const labels = { alertname: 'DiskFull', nodename: 'n3', case: 'ha' };
  const inAm = await fireInAlertmanager(labels);
  server = await start('ha', '1m', `http://127.0.0.1:${dead}, ${am.url}`);
  const s = server;
  const id = await notifyRune(s, labels, inAm);
  const chain = s.store.getJob(id)?.chainId as string;
  await waitFor(() => s.store.getVerification(chain), 'the verification to start');
  await am.postAlerts([{ labels, startsAt: inAm.startsAt, endsAt: new Date().toISOString() }]);
  const done = await waitFor(() => {
    const v = s.store.getVerification(chain);
    return v?.status === 'verified' && v;
  }, 'the verification through the live member');
  expect(done.summary).toContain('(seen by Alertmanager)');
});

test('with every Alertmanager down the window ends not_fixed, saying why', async () => {
  const labels = { alertname: 'DiskFull', nodename: 'n4', case: 'down' };
  const inAm = await fireInAlertmanager(labels);
  server = await start('down', '500ms', 'http://127.0.0.1:9');
  const s = server;
  const id = await notifyRune(s, labels, inAm);
  const chain = s.store.getJob(id)?.chainId as string;
  const done = await waitFor(() => {
    const v = s.store.getVerification(chain);
    return v?.status === 'not_fixed' && v;
  }, 'the window to end');
  expect(done.summary).toMatch(/^not fixed: still firing 500ms after echo \(Alertmanager did not answer: http:\/\/127/);
});

test('verify.query against a real Prometheus: empty counts as resolved while the alert still fires', async () => {
  const prometheus = await startPrometheus();
  try {
    const labels = { alertname: 'DiskFull', nodename: 'n5', case: 'query' };
    const inAm = await fireInAlertmanager(labels);
    // Holds (one series) for 2 more seconds, then returns nothing: the condition cleared.
    const clearsAt = Math.ceil(Date.now() / 1000) + 2;
    server = await start('query', '1m', am.url, {
      query: `vector(time()) < ${clearsAt}`,
      prometheusUrl: prometheus.url,
    });
    const s = server;
    const id = await notifyRune(s, labels, inAm);
    const chain = s.store.getJob(id)?.chainId as string;
    await waitFor(() => s.store.getVerification(chain), 'the verification to start');
    expect(Date.now() / 1000).toBeLessThan(clearsAt); // it started while the query still held
    expect(s.store.getVerification(chain)?.status).toBe('pending');
    const done = await waitFor(() => {
      const v = s.store.getVerification(chain);
      return v?.status === 'verified' && v;
    }, 'the query to come back empty');
    expect(done.summary).toContain('(seen by verify.query)');
    expect(Date.parse(done.finishedAt as string) / 1000).toBeGreaterThanOrEqual(clearsAt - 0.01);
    expect((await am.alerts(labels)).length).toBe(1); // Alertmanager still lists it
  } finally {
    await prometheus.stop();
  }
}, 40_000);

test('a pending verification survives a restart: the next start goes on watching', async () => {
  const labels = { alertname: 'DiskFull', nodename: 'n6', case: 'restart' };
  const inAm = await fireInAlertmanager(labels);
  server = await start('restart', '1m', am.url);
  const id = await notifyRune(server, labels, inAm);
  const chain = server.store.getJob(id)?.chainId as string;
  await waitFor(() => server?.store.getVerification(chain), 'the verification to start');
  await server.close();
  await am.postAlerts([{ labels, startsAt: inAm.startsAt, endsAt: new Date().toISOString() }]);
  server = await startTestServer({
    dir,
    name: 'restart',
    plugins,
    env: {
      RUNE_WEBHOOK_TOKEN: AM_TOKEN,
      RUNE_API_TOKENS_FILE: join(dir, 'tokens'),
      RUNE_ALERTMANAGER_URL: am.url,
      RUNE_VERIFY_INTERVAL: '200ms',
    },
  });
  const s = server;
  const done = await waitFor(() => {
    const v = s.store.getVerification(chain);
    return v?.status === 'verified' && v;
  }, 'the restarted server to verify');
  expect(done.summary).toContain('(seen by Alertmanager)');
});

describe('silence while repairing', () => {
  const silenceRule = (during: string, verify: string) => `nodes:
  - {name: "n*", transport: local}
rules:
  - name: disk-full
    matchers: ['alertname="DiskFull"']
    node: "{{ labels.nodename }}"
    steps:
      - action: echo
        params: {message: "read-only first: no silence yet"}
      - action: slow
    silence: {during: ${during}, max: 30m}
${verify}`;

  const startSilencing = (name: string, config: string) =>
    startTestServer({
      dir,
      name,
      config,
      plugins: slowPlugins,
      env: {
        RUNE_WEBHOOK_TOKEN: AM_TOKEN,
        RUNE_API_TOKENS_FILE: join(dir, 'tokens'),
        RUNE_ALERTMANAGER_URL: am.url,
        RUNE_VERIFY_INTERVAL: '200ms',
        RUNE_PUBLIC_URL: 'https://rune.example.com',
      },
    });

  /** Posts the firing alert to RUNE; returns the job ids of its run without waiting for them. */
  async function post(s: RunningServer, labels: Record<string, string>, a: { fingerprint: string; startsAt: string }) {
    const body = {
      receiver: 'rune',
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels,
          annotations: {},
          startsAt: a.startsAt,
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: '',
          fingerprint: a.fingerprint,
        },
      ],
      groupLabels: {},
      commonLabels: labels,
      commonAnnotations: {},
      externalURL: am.url,
      version: '4',
      groupKey: '{}:{alertname="DiskFull"}',
      truncatedAlerts: 0,
    };
    const res = await request(s.url)
      .post('/webhooks/alertmanager')
      .set('Authorization', `Bearer ${AM_TOKEN}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(body));
    expect(res.status).toBe(202);
    return (res.body as { jobs: string[] }).jobs;
  }

  const silencesFor = async (jobId: string) =>
    (await am.silences()).filter((x) => x.createdBy === 'rune' && x.comment.includes(jobId));

  test('during: run: a silence for the alert is active while the mutating step runs, expired after', async () => {
    const labels = { alertname: 'DiskFull', nodename: 'n7', case: 'silence-run' };
    const inAm = await fireInAlertmanager(labels);
    server = await startSilencing('silence-run', silenceRule('run', ''));
    const s = server;
    const [readOnly, mutating] = (await post(s, labels, inAm)) as [string, string];
    // The silence is taken once the job is running, before its plugin starts.
    const chain = await waitFor(() => s.store.getJob(mutating)?.chainId, 'the job');
    const held = await waitFor(() => s.store.getRunSilence(chain), 'the silence');
    expect(held).toMatchObject({ status: 'active', jobId: mutating, during: 'run' });
    expect(s.store.getJob(mutating)?.status).toBe('running');
    // Taken before the mutating step, not before the read-only one.
    expect(Date.parse(held?.startedAt as string)).toBeGreaterThanOrEqual(
      Date.parse(s.store.getJob(readOnly)?.finishedAt as string),
    );
    const inAlertmanager = await silencesFor(mutating);
    expect(inAlertmanager.map((x) => [x.id, x.status.state])).toEqual([[held?.silenceId, 'active']]);
    expect(inAlertmanager[0]?.comment).toBe(
      `RUNE is repairing this alert (rule disk-full): https://rune.example.com/jobs/${mutating}`,
    );
    // Alertmanager holds the alert as silenced now.
    const [alertNow] = (await am.alerts(labels)) as unknown as { status: { state: string; silencedBy: string[] } }[];
    expect(alertNow?.status).toMatchObject({ state: 'suppressed', silencedBy: [held?.silenceId] });
    const view = await request(s.url).get(`/api/v1/jobs/${mutating}`).set('Authorization', `Bearer ${API_TOKEN}`);
    expect(view.body.silence).toMatchObject({ status: 'active', id: held?.silenceId, alertmanager: am.url });

    await waitFor(() => s.store.getJob(mutating)?.status === 'succeeded', 'the mutating step to end', 15_000);
    await waitFor(() => s.store.getRunSilence(held?.chainId as string)?.status === 'expired', 'the silence to end');
    expect(s.store.getRunSilence(held?.chainId as string)).toMatchObject({ status: 'expired', error: null });
    expect((await silencesFor(mutating))[0]?.status.state).toBe('expired');
    const [after] = (await am.alerts(labels)) as unknown as { status: { state: string } }[];
    expect(after?.status.state).toBe('active'); // still firing, no longer silenced
  }, 30_000);

  test('until_verified: the silence outlives the run until the verification ends', async () => {
    const labels = { alertname: 'DiskFull', nodename: 'n8', case: 'silence-verify' };
    const inAm = await fireInAlertmanager(labels);
    server = await startSilencing('silence-verify', silenceRule('until_verified', '    verify: {within: 1m}\n'));
    const s = server;
    const [, mutating] = (await post(s, labels, inAm)) as [string, string];
    const chain = await waitFor(() => s.store.getJob(mutating)?.chainId, 'the job');
    await waitFor(() => s.store.getJob(mutating)?.status === 'succeeded', 'the run to end', 15_000);
    await waitFor(() => s.store.getVerification(chain), 'the verification to start');
    await new Promise((r) => setTimeout(r, 500)); // several checks: the silence is still held
    expect(s.store.getRunSilence(chain)?.status).toBe('active');
    expect((await silencesFor(mutating))[0]?.status.state).toBe('active');

    // The alert resolves (silenced: no notification); the verification sees it, then the silence ends.
    await am.postAlerts([{ labels, startsAt: inAm.startsAt, endsAt: new Date().toISOString() }]);
    await waitFor(() => s.store.getVerification(chain)?.status === 'verified', 'the verification');
    await waitFor(() => s.store.getRunSilence(chain)?.status === 'expired', 'the silence to expire');
    expect((await silencesFor(mutating))[0]?.status.state).toBe('expired');
  }, 30_000);

  test('the silence is leased: extended while the run goes on, in place in Alertmanager', async () => {
    const labels = { alertname: 'DiskFull', nodename: 'n12', case: 'silence-lease' };
    const inAm = await fireInAlertmanager(labels);
    let ahead = 0; // the server's clock runs ahead of the real one when the test moves it on
    server = await startTestServer({
      dir,
      name: 'silence-lease',
      config: silenceRule('run', ''),
      plugins: slowPlugins,
      env: {
        RUNE_WEBHOOK_TOKEN: AM_TOKEN,
        RUNE_API_TOKENS_FILE: join(dir, 'tokens'),
        RUNE_ALERTMANAGER_URL: am.url,
        RUNE_VERIFY_INTERVAL: '200ms',
      },
      now: () => new Date(Date.now() + ahead),
    });
    const s = server;
    const [, mutating] = (await post(s, labels, inAm)) as [string, string];
    const chain = await waitFor(() => s.store.getJob(mutating)?.chainId, 'the job');
    const first = await waitFor(() => s.store.getRunSilence(chain), 'the silence');
    expect(Date.parse(first.endsAt) - Date.parse(first.startedAt)).toBe(5 * 60_000); // the lease, not max
    ahead = 4 * 60_000; // past half the lease while the slow step still runs
    const extended = await waitFor(() => {
      const now = s.store.getRunSilence(chain);
      return now && now.endsAt !== first.endsAt && now;
    }, 'the lease to be extended');
    expect(Date.parse(extended.endsAt)).toBeGreaterThan(Date.parse(first.endsAt));
    expect(extended.silenceId).toBe(first.silenceId); // updated in place
    const inAlertmanager = (await am.silences()).find((x) => x.id === first.silenceId) as unknown as {
      endsAt: string;
      status: { state: string };
    };
    expect(Date.parse(inAlertmanager.endsAt)).toBe(Date.parse(extended.endsAt));
    await waitFor(() => s.store.getRunSilence(chain)?.status === 'expired', 'the silence to end with the run', 15_000);
  }, 30_000);

  test('without RUNE_ALERTMANAGER_URL the run goes on unsilenced and says why', async () => {
    const labels = { alertname: 'DiskFull', nodename: 'n9', case: 'silence-none' };
    server = await startTestServer({
      dir,
      name: 'silence-none',
      config: silenceRule('run', ''),
      plugins,
      env: { RUNE_WEBHOOK_TOKEN: AM_TOKEN, RUNE_API_TOKENS_FILE: join(dir, 'tokens') },
    });
    const s = server;
    const [, mutating] = (await post(s, labels, { fingerprint: 'fp-none', startsAt: new Date().toISOString() })) as [
      string,
      string,
    ];
    await waitFor(() => s.store.getJob(mutating)?.status === 'succeeded', 'the run');
    expect(s.store.getRunSilence(s.store.getJob(mutating)?.chainId as string)).toMatchObject({
      status: 'failed',
      silenceId: null,
      error: 'no RUNE_ALERTMANAGER_URL: the alert is not silenced',
    });
  });
});

describe('escalation', () => {
  const ROUTING_KEY = 'R0UT1NGKEY0000000000000000000042';
  let events: FakeServer;
  beforeAll(async () => {
    // A local server that speaks the Events API v2 (docs/protocols.md §3.4).
    events = await startFakeServer((req) => {
      const body = JSON.parse(req.body.toString()) as { dedup_key?: string };
      return {
        status: 202,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: body.dedup_key }),
      };
    });
  });
  afterAll(() => events?.close());

  type Event = {
    routing_key: string;
    event_action: string;
    dedup_key: string;
    payload: { summary: string; source: string; severity: string; component: string; group: string };
    links: { href: string }[];
    client_url: string;
  };
  const sent = () => events.requests.map((r) => JSON.parse(r.body.toString()) as Event);

  const escalating = (name: string, step: string, extra: string, env: Record<string, string> = {}) =>
    startTestServer({
      dir,
      name,
      config: `nodes:
  - {name: "n*", transport: local}
rules:
  - name: disk-full
    matchers: ['alertname="DiskFull"']
    node: "{{ labels.nodename }}"
    steps: [{action: ${step}}]
${extra}`,
      plugins,
      env: {
        RUNE_WEBHOOK_TOKEN: AM_TOKEN,
        RUNE_API_TOKENS_FILE: join(dir, 'tokens'),
        RUNE_ALERTMANAGER_URL: am.url,
        RUNE_VERIFY_INTERVAL: '200ms',
        RUNE_PUBLIC_URL: 'https://rune.example.com',
        RUNE_PAGERDUTY_EVENTS_URL: events.url,
        ...env,
      },
    });

  test('a failed run that opens the breaker: two triggers with the job link, stored with the job', async () => {
    writeFileSync(join(dir, 'routing-key'), `${ROUTING_KEY}\n`);
    server = await escalating(
      'escalate-failed',
      'fail',
      '    breaker: {failures: 1}\n    escalate: {severity: critical}\n',
      { RUNE_PAGERDUTY_ROUTING_KEY_FILE: join(dir, 'routing-key') },
    );
    const s = server;
    const before = events.requests.length;
    const labels = { alertname: 'DiskFull', nodename: 'n10', case: 'escalate-failed' };
    const ids = await postFiring(s, labels, { fingerprint: 'fp-esc-1', startsAt: new Date().toISOString() });
    const id = ids[0] as string;
    await waitFor(() => events.requests.length >= before + 2, 'the two escalations');
    const chain = s.store.getJob(id)?.chainId as string;
    // Sent at once, in either order.
    const failed = sent().find((e) => e.dedup_key === `rune:${chain}:failed`) as Event;
    const breaker = sent()
      .slice(before)
      .find((e) => e.dedup_key.startsWith('rune:breaker:')) as Event;
    expect(failed).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: `rune:${chain}:failed`,
      payload: { source: 'n10', severity: 'critical', component: 'fail', group: 'disk-full' },
      links: [{ href: `https://rune.example.com/jobs/${id}` }],
      client_url: `https://rune.example.com/jobs/${id}`,
    });
    expect(failed.payload.summary).toMatch(/^RUNE rule disk-full: fail on n10 failed: /);
    expect(breaker.dedup_key).toMatch(/^rune:breaker:disk-full:\d+$/);
    expect(breaker.payload.summary).toMatch(/^circuit breaker OPEN for rule disk-full/);
    const deliveries = await waitFor(() => {
      const d = s.store.getJob(id)?.deliveries.filter((x) => x.reporter === 'pagerduty-events') ?? [];
      return d.length === 2 && d;
    }, 'the deliveries stored with the job');
    expect(deliveries.map((d) => [d.ok, d.status])).toEqual([
      [true, 202],
      [true, 202],
    ]);
    const metrics = await request(s.url).get('/metrics').set('Authorization', `Bearer ${API_TOKEN}`);
    expect(metrics.text).toMatch(/rune_escalations_total\{rule="disk-full",reason="failed",outcome="delivered"\} 1/);
    expect(JSON.stringify(s.store.listAudit(50))).not.toContain(ROUTING_KEY);
  });

  test('not fixed escalates; `on:` limits when; without a routing key the job says it was not sent', async () => {
    server = await escalating(
      'escalate-not-fixed',
      'echo',
      '    verify: {within: 500ms}\n    escalate: {on: [not_fixed]}\n',
      { RUNE_PAGERDUTY_ROUTING_KEY: ROUTING_KEY },
    );
    const s = server;
    const before = events.requests.length;
    const labels = { alertname: 'DiskFull', nodename: 'n11', case: 'escalate-not-fixed' };
    const inAm = await fireInAlertmanager(labels);
    const id = await notifyRune(s, labels, inAm);
    await waitFor(() => events.requests.length >= before + 1, 'the escalation');
    const [notFixed] = sent().slice(before) as [Event];
    expect(notFixed.dedup_key).toBe(`rune:${s.store.getJob(id)?.chainId ?? ''}:not_fixed`);
    expect(notFixed.payload).toMatchObject({ severity: 'error', source: 'n11' });
    expect(notFixed.payload.summary).toBe('RUNE rule disk-full on n11: not fixed: still firing 500ms after echo');
    await server.close();

    // The same rule with only failed in on:, and no key: a failure is recorded, nothing is sent.
    server = await escalating('escalate-no-key', 'fail', '    escalate: {on: [failed]}\n');
    const t = server;
    const count = events.requests.length;
    const [failedId] = await postFiring(
      t,
      { ...labels, case: 'no-key' },
      { fingerprint: 'fp-esc-3', startsAt: new Date().toISOString() },
    );
    const d = await waitFor(
      () => t.store.getJob(failedId as string)?.deliveries.find((x) => x.reporter === 'pagerduty-events'),
      'the escalation to be recorded',
    );
    expect(d).toMatchObject({ ok: false, error: 'no RUNE_PAGERDUTY_ROUTING_KEY: not escalated' });
    expect(events.requests.length).toBe(count);
  });
});
