/**
 * `rune serve` end to end: real HTTP (supertest against the listening server), real SQLite file,
 * real sshd for the node, the shipped plugins, Alertmanager and PagerDuty fixtures verbatim, and a
 * local fake PagerDuty REST server for incident look-ups and notes.
 */
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import { alertmanagerIncidentKey } from '../../src/reporters/alertmanager-incident-key';
import type { RunningServer } from '../../src/server/start-server';
import { tokenLine } from '../helpers/api-tokens';
import { startFakePagerDuty, type FakePagerDuty } from '../helpers/fake-pagerduty';
import { fixtureBytes, fixtureJson } from '../helpers/fixtures';
import { startSshd, type TestSshd } from '../helpers/sshd';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { startTestServer } from '../helpers/test-server';
import { waitFor } from '../helpers/wait-for';

const AM_TOKEN = 'am-token-0123456789';
const API_TOKEN = 'api-token-abcdef';
const PD_SECRET = 'HvPtlQNKMPpHSSqJpCdndXfo7HnGXa1pnH6w5axpxLFn9aRBNBGh4e8/HlonK5mz'; // docs/protocols.md §2.3
const PD_REST_TOKEN = 'pd-rest-token-xyz';
const FROM = 'rune-bot@example.com';
/** Jobs over SSH to the test sshd: bounded, with room for a loaded machine. */
const JOB_MS = 15_000;

let sshd: TestSshd;
let dir: string;
let pd: FakePagerDuty;

function rulesYaml(extraRule = ''): string {
  return `defaults: {connect_timeout: 5s}
nodes:
  - {name: ip-10-0-1-23, address: 127.0.0.1, port: ${sshd.port}}
  - {name: ip-10-0-2-57, address: 127.0.0.2, port: ${sshd.port}}
notify:
  pagerduty: {from: ${FROM}}
rules:
  - name: disk-almost-full
    matchers: ['alertname="NodeFilesystemAlmostOutOfSpace"', 'severity=~"critical|page"']
    node: "{{ labels.nodename }}"
    steps:
      - action: noop
        params: {message: "{{ annotations.summary }}"}
      - action: disk-usage
        params: {paths: ["{{ labels.mountpoint }}"]}
    notify: [pagerduty]
  - name: cpu-high
    matchers: ['alertname="HostHighCpuLoad"']
    node: "{{ labels.nodename }}"
    steps:
      - action: noop
  - name: disk-recovered
    matchers: ['alertname="NodeFilesystemAlmostOutOfSpace"']
    on: resolved
    node: "{{ labels.nodename }}"
    steps:
      - action: noop
${extraRule}`;
}

function start(name: string, o: { dryRun?: boolean } = {}): Promise<RunningServer> {
  return startTestServer({
    dir,
    name,
    config: rulesYaml(),
    ...o,
    env: {
      RUNE_SSH_KEY: sshd.userKey,
      RUNE_SSH_KNOWN_HOSTS: sshd.knownHosts,
      RUNE_SSH_USER: sshd.user,
      RUNE_WEBHOOK_TOKEN: AM_TOKEN,
      RUNE_PAGERDUTY_SECRETS: `some-old-secret,${PD_SECRET}`,
      RUNE_PAGERDUTY_TOKEN: PD_REST_TOKEN,
      RUNE_PAGERDUTY_API_URL: pd.url,
      RUNE_PUBLIC_URL: 'https://rune.example.com',
      RUNE_API_TOKENS_FILE: join(dir, 'tokens'),
    },
  });
}

/** POSTs exact bytes (supertest would JSON-encode a Buffer under a JSON content type). */
async function postRaw(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const amPost = (s: RunningServer, body: Buffer, token = AM_TOKEN) =>
  postRaw(
    `${s.url}/webhooks/alertmanager`,
    { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body,
  );

beforeAll(async () => {
  sshd = await startSshd({ addresses: ['127.0.0.1', '127.0.0.2'] });
  dir = makeTempDir('serve');
  writeFileSync(join(dir, 'tokens'), `# NAME ROLE sha256:<hex>\n${tokenLine('alice', 'admin', API_TOKEN)}`);
  // The incident Alertmanager's PagerDuty receiver opened for the captured group (docs/protocols.md §1.5).
  const { groupKey } = fixtureJson('alertmanager/captured-am0.25-webhook-firing-1alert.json');
  pd = await startFakePagerDuty({
    token: PD_REST_TOKEN,
    from: FROM,
    incidents: [{ id: 'PINC123', incident_key: alertmanagerIncidentKey(groupKey), status: 'triggered' }],
  });
});
afterAll(async () => {
  await sshd?.stop();
  await pd?.close();
  removeTempDir(dir);
});

describe('Alertmanager webhook', () => {
  let s: RunningServer;
  beforeAll(async () => {
    s = await start('am');
  });
  afterAll(async () => {
    await s?.close(5000);
  });

  test('the captured firing alert runs the rule steps in order on the node; a note lands on the incident', async () => {
    const r = await amPost(s, fixtureBytes('alertmanager/captured-am0.25-webhook-firing-1alert.json'));
    expect(r.status).toBe(202);
    expect(r.body.jobs).toHaveLength(2);
    const [first, second] = r.body.jobs as string[];
    const done = await waitFor(
      () => {
        const j = s.store.getJob(second as string);
        return j && j.finishedAt && j.deliveries.length > 0 ? j : null;
      },
      'the second step to finish and be reported',
      JOB_MS,
    );
    const one = s.store.getJob(first as string)!;
    expect(one.result).toMatchObject({
      status: 'succeeded',
      action: 'noop',
      node: 'ip-10-0-1-23',
      transport: 'ssh',
      summary: 'noop on ip-10-0-1-23: Filesystem has less than 5% space left.',
    });
    expect(one.result!.trigger).toMatchObject({
      kind: 'alert',
      source: 'alertmanager',
      rule: 'disk-almost-full',
      alert_fingerprint: '8938c54a9647462a',
    });
    expect(done.result).toMatchObject({ status: 'succeeded', action: 'disk-usage' });
    expect((done.result!.data as { paths: { path: string }[] }).paths[0]!.path).toBe('/');
    expect(Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(Date.parse(one.finishedAt!));
    // Alertmanager's PagerDuty receiver keys the incident sha256(groupKey) (docs/protocols.md §1.5).
    const note = await waitFor(() => pd.notes.find((n) => n.content.includes(second as string)), 'the note');
    expect(note.incidentPath).toBe('PINC123');
    expect(note.content).toContain('https://rune.example.com/jobs/');
    expect(pd.headerProblems).toEqual([]); // From, Accept, Content-Type as docs/protocols.md §3.1 says
    expect(done.deliveries[0]).toMatchObject({ reporter: 'pagerduty', ok: true });

    const api = await request(s.url).get(`/api/v1/jobs/${second}`).set('Authorization', `Bearer ${API_TOKEN}`);
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject({
      id: second,
      status: 'succeeded',
      rule: 'disk-almost-full',
      step: 1,
      after: first,
    });
  });

  test('a repeated delivery of the same firing episode creates no second job', async () => {
    const body = fixtureBytes('alertmanager/captured-am0.25-webhook-firing-1alert.json');
    const before = s.store.listJobs({ limit: 500 }).length;
    const r = await amPost(s, body);
    expect(r.status).toBe(202);
    expect(r.body.jobs).toEqual([]);
    expect(r.body.duplicates).toHaveLength(2);
    expect(s.store.listJobs({ limit: 500 })).toHaveLength(before);
  });

  test('a resolved alert runs only the resolved rule, never the firing one', async () => {
    const r = await amPost(s, fixtureBytes('alertmanager/captured-am0.25-webhook-resolved-1alert.json'));
    expect(r.status).toBe(202);
    expect(r.body.jobs).toHaveLength(1);
    const job = s.store.getJob(r.body.jobs[0])!;
    expect(job.trigger.rule).toBe('disk-recovered');
    expect(job.request.action).toBe('noop');
  });

  test('two instances in one group: each alert runs on its own host', async () => {
    const r = await amPost(s, fixtureBytes('alertmanager/captured-am0.25-webhook-firing-2instances.json'));
    expect(r.status).toBe(202);
    expect(r.body.jobs).toHaveLength(2);
    const jobs = await waitFor(
      () => {
        const js = (r.body.jobs as string[]).map((id) => s.store.getJob(id)!);
        return js.every((j) => j.result) ? js : null;
      },
      'both jobs to finish',
      JOB_MS,
    );
    expect(jobs.map((j) => j.result!.status)).toEqual(['succeeded', 'succeeded']);
    const nodes = jobs.map((j) => j.result!.node);
    expect(new Set(nodes)).toEqual(
      new Set(
        fixtureJson('alertmanager/captured-am0.25-webhook-firing-2instances.json').alerts.map(
          (a: { labels: { nodename: string } }) => a.labels.nodename,
        ),
      ),
    );
  });

  test('every shipped Alertmanager webhook fixture is accepted as sent, in its own words', async () => {
    const fixtures = [
      'captured-am0.25-webhook-firing-1alert.json',
      'captured-am0.25-webhook-resolved-1alert.json',
      'captured-am0.25-webhook-firing-2instances.json',
      'DERIVED-am0.34-webhook-firing-1alert.json',
      'public-imgix-prometheus-am-executor-alert_payload.json',
    ];
    for (const f of fixtures) {
      const r = await amPost(s, fixtureBytes(`alertmanager/${f}`));
      expect([f, r.status]).toEqual([f, 202]);
      expect(r.body.status).toBe('accepted');
    }
  });

  test('basic auth with the token as password is accepted too (Alertmanager http_config.basic_auth)', async () => {
    const body = fixtureBytes('alertmanager/DERIVED-am0.34-webhook-firing-1alert.json');
    const basic = (pw: string) => `Basic ${Buffer.from(`alertmanager:${pw}`).toString('base64')}`;
    const ok = await postRaw(
      `${s.url}/webhooks/alertmanager`,
      { 'Content-Type': 'application/json', Authorization: basic(AM_TOKEN) },
      body,
    );
    expect(ok.status).toBe(202);
    const wrong = await postRaw(
      `${s.url}/webhooks/alertmanager`,
      { 'Content-Type': 'application/json', Authorization: basic('guess') },
      body,
    );
    expect(wrong.status).toBe(401);
  });

  test('bad requests get a clear 4xx and queue nothing', async () => {
    const count = () => s.store.listJobs({ limit: 500 }).length;
    const before = count();
    const body = fixtureBytes('alertmanager/captured-am0.25-webhook-firing-1alert.json');
    const wrongToken = await amPost(s, body, 'nope');
    expect(wrongToken.status).toBe(401);
    expect(wrongToken.body.error.message).toMatch(/webhook token/);
    const noToken = await postRaw(`${s.url}/webhooks/alertmanager`, { 'Content-Type': 'application/json' }, body);
    expect(noToken.status).toBe(401);
    const notJson = await amPost(s, Buffer.from('{"alerts": [oops'));
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('INVALID_JSON');
    const wrongType = await postRaw(
      `${s.url}/webhooks/alertmanager`,
      { 'Content-Type': 'text/plain', Authorization: `Bearer ${AM_TOKEN}` },
      body,
    );
    expect(wrongType.status).toBe(415);
    const huge = await amPost(s, Buffer.alloc(10 * 1024 * 1024, 0x20));
    expect(huge.status).toBe(413);
    const badUtf8 = await amPost(s, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect(badUtf8.status).toBe(400);
    expect(badUtf8.body.error.code).toBe('INVALID_UTF8');
    const wrongShape = await amPost(s, Buffer.from('{"alerts":[{"labels":"x"}]}'));
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.body.error.code).toBe('INVALID_PAYLOAD');
    expect(count()).toBe(before);
    const healthy = await request(s.url).get('/-/healthy');
    expect(healthy.status).toBe(200);
  });
});

describe('PagerDuty webhook', () => {
  let s: RunningServer;
  beforeAll(async () => {
    s = await start('pd');
  });
  afterAll(async () => {
    await s?.close(5000);
  });
  const pdPost = (body: Buffer, signature: string, webhookId: string) =>
    postRaw(
      `${s.url}/webhooks/pagerduty`,
      { 'Content-Type': 'application/json', 'X-PagerDuty-Signature': signature, 'X-Webhook-Id': webhookId },
      body,
    );

  test('the real signed ping verifies with the second of two secrets and is answered', async () => {
    const r = await pdPost(
      fixtureBytes('pagerduty/webhook-v3-pagey.ping.aldaviva-real-signed.json'),
      'v1=0e83584cbab86f98c51517cf96a70c90e910532d3d2f067d58c753cc8980a05b',
      'w-ping-1',
    );
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('pong');
  });

  test('a tampered body is rejected (4xx PagerDuty does not retry), nothing recorded', async () => {
    const body = Buffer.from(fixtureBytes('pagerduty/webhook-v3-incident.triggered.aldaviva-real-signed.json'));
    body[body.length - 3] = (body[body.length - 3] as number) ^ 1;
    const r = await pdPost(body, 'v1=3e3032b45bbe1801c13f182b0e0a7f4f3f530225cef07e3e90cbc57874d01c49', 'w-tampered');
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('BAD_SIGNATURE');
  });

  test('incident.triggered: host from the incident alerts; the same X-Webhook-Id again is a duplicate', async () => {
    const body = fixtureBytes('pagerduty/webhook-v3-incident.triggered.aldaviva-real-signed.json');
    const incidentId = JSON.parse(body.toString()).event.data.id as string;
    const details = fixtureJson('alertmanager/captured-am0.25-to-pagerduty-events-v2-trigger.json').payload
      .custom_details;
    pd.alerts.set(incidentId, {
      alerts: [{ id: 'A1', alert_key: 'k1', status: 'triggered', body: { details } }],
      more: false,
    });
    const sig = 'v1=3e3032b45bbe1801c13f182b0e0a7f4f3f530225cef07e3e90cbc57874d01c49';
    const r = await pdPost(body, sig, 'w-trig-1');
    expect(r.status).toBe(202);
    const jobs = await waitFor(
      () => {
        const j = s.store.listJobs({ incident: incidentId });
        return j.length === 2 ? j : null;
      },
      "the incident's two jobs",
      JOB_MS,
    );
    expect(jobs.map((j) => j.request.node)).toEqual(['ip-10-0-1-23', 'ip-10-0-1-23']);
    const again = await pdPost(body, sig, 'w-trig-1');
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('duplicate');
  });

  test('a signature computed with an unknown secret is refused', async () => {
    const body = fixtureBytes('pagerduty/webhook-v3-pagey.ping.aldaviva-real-signed.json');
    const sig = `v1=${createHmac('sha256', 'not-our-secret').update(body).digest('hex')}`;
    const r = await pdPost(body, sig, 'w-ping-2');
    expect(r.status).toBe(401);
  });
});

describe('PagerDuty incident acknowledged just before a restart', () => {
  test('the incident is kept pending with its 202, looked up after restart: its jobs are created once', async () => {
    const body = fixtureBytes('pagerduty/webhook-v3-incident.triggered.aldaviva-real-signed.json');
    const incidentId = JSON.parse(body.toString()).event.data.id as string;
    const sig = 'v1=3e3032b45bbe1801c13f182b0e0a7f4f3f530225cef07e3e90cbc57874d01c49';
    pd.alerts.delete(incidentId); // PagerDuty has not filled the incident's alert yet
    const first = await start('pd-pending');
    try {
      const r = await postRaw(
        `${first.url}/webhooks/pagerduty`,
        { 'Content-Type': 'application/json', 'X-PagerDuty-Signature': sig, 'X-Webhook-Id': 'w-pending-1' },
        body,
      );
      expect(r.status).toBe(202);
    } finally {
      await first.close(5000); // RUNE stops while it is still waiting for the incident's alert
    }
    const db = new Database(join(dir, 'pd-pending.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT key FROM pending_incidents').all()).toEqual([{ key: 'pagerduty:w-pending-1' }]);
    } finally {
      db.close();
    }

    const details = fixtureJson('alertmanager/captured-am0.25-to-pagerduty-events-v2-trigger.json').payload
      .custom_details;
    pd.alerts.set(incidentId, {
      alerts: [{ id: 'A1', alert_key: 'k1', status: 'triggered', body: { details } }],
      more: false,
    });
    const second = await start('pd-pending');
    try {
      const jobs = await waitFor(
        () => {
          const j = second.store.listJobs({ incident: incidentId });
          return j.length === 2 ? j : null;
        },
        "the incident's two jobs after the restart",
        JOB_MS,
      );
      expect(jobs.map((j) => j.request.node)).toEqual(['ip-10-0-1-23', 'ip-10-0-1-23']);
      await waitFor(() => second.store.pendingIncidents().length === 0, 'no pending incident left');
      expect(second.store.listAudit(50).filter((a) => a.action === 'incident-matched')).toHaveLength(1);
      // PagerDuty's retry of the same delivery is a duplicate: nothing more runs.
      const again = await postRaw(
        `${second.url}/webhooks/pagerduty`,
        { 'Content-Type': 'application/json', 'X-PagerDuty-Signature': sig, 'X-Webhook-Id': 'w-pending-1' },
        body,
      );
      expect(again.body.status).toBe('duplicate');
      await second.queue.idle();
      expect(second.store.listJobs({ incident: incidentId })).toHaveLength(2);
    } finally {
      await second.close(5000);
    }
  });
});

describe('API, reload and restart', () => {
  test('manual runs, retries and filters need a token; invalid input is a 400', async () => {
    const s = await start('api');
    try {
      const auth = { Authorization: `Bearer ${API_TOKEN}` };
      expect((await request(s.url).get('/api/v1/jobs')).status).toBe(401);
      const actions = await request(s.url).get('/api/v1/actions').set(auth);
      expect(actions.body.actions.map((a: { name: string }) => a.name)).toEqual(
        expect.arrayContaining(['noop', 'gather-logs', 'restart-docker', 'restart-nomad']),
      );
      const bad = await request(s.url)
        .post('/api/v1/jobs')
        .set(auth)
        .set('Content-Type', 'application/json')
        .send({ action: 'noop', node: 'nowhere' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('UNKNOWN_NODE');
      const r = await request(s.url)
        .post('/api/v1/jobs')
        .set(auth)
        .set('Content-Type', 'application/json')
        .send({ action: 'noop', node: 'ip-10-0-2-57', params: { message: 'by hand' } });
      expect(r.status).toBe(202);
      const job = await waitFor(() => s.store.getJob(r.body.job_id)?.result, 'the manual run', JOB_MS);
      expect(job).toMatchObject({
        status: 'succeeded',
        summary: 'noop on ip-10-0-2-57: by hand',
        trigger: { kind: 'api', actor: 'alice' },
      });
      const retry = await request(s.url).post(`/api/v1/jobs/${r.body.job_id}/retry`).set(auth);
      expect(retry.status).toBe(202);
      await waitFor(() => s.store.getJob(retry.body.job_id)?.result, 'the retry', JOB_MS);
      const list = await request(s.url).get('/api/v1/jobs?node=ip-10-0-2-57&status=succeeded').set(auth);
      expect(list.body.jobs.map((j: { id: string }) => j.id)).toEqual([retry.body.job_id, r.body.job_id]);
      expect(s.store.listAudit(10).map((a) => a.action)).toEqual(expect.arrayContaining(['run', 'retry']));
    } finally {
      await s.close(5000);
    }
  });

  test('a reload with an invalid file keeps the old rules serving and says where the problem is', async () => {
    const s = await start('reload');
    try {
      writeFileSync(
        join(dir, 'reload.yaml'),
        rulesYaml('  - name: broken\n    matchers: [\'alertname=~"(unclosed"\']\n    steps: [{action: noop}]\n'),
      );
      const r = await request(s.url).post('/-/reload').set('Authorization', `Bearer ${API_TOKEN}`);
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body.error.details.problems)).toMatch(/reload\.yaml:\d+/);
      const still = await amPost(s, fixtureBytes('alertmanager/captured-am0.25-webhook-firing-1alert.json'));
      expect(still.status).toBe(202);
      expect(still.body.jobs).toHaveLength(2);
    } finally {
      await s.close(5000);
    }
  });

  test('after a restart, queued jobs run and a job that was running is interrupted, not re-run', async () => {
    const first = await start('restart', { dryRun: true });
    let a: string;
    try {
      const r = await amPost(first, fixtureBytes('alertmanager/captured-am0.25-webhook-firing-1alert.json'));
      await first.queue.idle();
      [a] = r.body.jobs as [string];
    } finally {
      await first.close(5000);
    }
    // Simulate a crash mid-run: mark one job running and add a queued one, straight in the database.
    const db = new Database(join(dir, 'restart.db'));
    try {
      db.prepare("UPDATE jobs SET status = 'running', finished_at = NULL WHERE id = ?").run(a);
      db.prepare(
        'INSERT INTO jobs (id, trace_id, status, action, node, request, trigger_json, created_at) ' +
          "VALUES ('queued-1', 't', 'queued', 'noop', 'ip-10-0-1-23', ?, '{\"kind\":\"api\"}', ?)",
      ).run(
        JSON.stringify({ action: 'noop', node: 'ip-10-0-1-23', params: {}, dryRun: false, pluginDryRun: false }),
        new Date().toISOString(),
      );
    } finally {
      db.close();
    }
    const second = await start('restart');
    try {
      expect(second.store.getJob(a as string)!.status).toBe('interrupted');
      const queued = await waitFor(() => second.store.getJob('queued-1')?.result, 'the queued job', JOB_MS);
      expect(queued.status).toBe('succeeded');
      const again = await amPost(second, fixtureBytes('alertmanager/captured-am0.25-webhook-firing-1alert.json'));
      expect(again.body.jobs).toEqual([]);
      expect(second.store.getJob(a as string)!.status).toBe('interrupted');
    } finally {
      await second.close(5000);
    }
  });
});
