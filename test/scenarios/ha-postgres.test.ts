/**
 * High availability on PostgreSQL (issue #13; docs/deployment.md, High availability): three real
 * `rune serve` processes share one real PostgreSQL (Debian's, started here on 127.0.0.1). Every
 * notification goes to every replica, as from an Alertmanager HA pair, with re-sends and flapping
 * alerts, while a random replica is killed with SIGKILL every few seconds and started again.
 * Afterwards: every firing episode has exactly one job, nothing accepted is lost, no job started
 * twice, and no two mutating runs overlapped on one node, whichever replicas ran them.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rfc3339Instant } from '../../src/util/rfc3339-instant';
import { alertmanagerPayload } from '../helpers/alertmanager-payload';
import { signIn } from '../helpers/dashboard-client';
import { tokenLine } from '../helpers/api-tokens';
import { PG_PASSWORD, startPostgres, type TestPostgres } from '../helpers/postgres';
import { freePort } from '../helpers/sshd';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { compileRune, ROOT, startServeProcess, type ServeProcess } from '../helpers/test-server';
import { waitFor } from '../helpers/wait-for';

const FAULT_PLUGINS = join(__dirname, '..', 'fixtures', 'fault-plugins');
const AM_TOKEN = 'am-token-ha-0123456789';
const API_TOKEN = 'api-token-ha-0123456789';
const NODES = ['node-1', 'node-2', 'node-3', 'node-4'];
/** A replica silent this long is dead (RUNE_LEASE): short, so the test sees takeovers. */
const LEASE = '3s';

let scratch: string;
let dist: string;
let pg: TestPostgres;
const replicas: (ServeProcess | null)[] = [];

beforeAll(async () => {
  scratch = makeTempDir('ha');
  pg = await startPostgres('ha-pg');
  dist = compileRune(join(scratch, 'dist'));
  writeFileSync(join(scratch, 'tokens'), tokenLine('ops', 'admin', API_TOKEN));
}, 120_000);
afterEach(async () => {
  await Promise.all(replicas.splice(0).map((r) => r?.stop()));
});
afterAll(() => {
  pg?.stop();
  removeTempDir(scratch);
});

const rules = (log: string) => `nodes:
${NODES.map((n) => `  - {name: ${n}, transport: local}`).join('\n')}
rules:
  - name: repair
    matchers: ['alertname="Broken"']
    node: "{{ labels.instance }}"
    steps:
      - action: ha-mutating
        params: {log: "${log}"}
`;

/** Starts replica `i` of a group on database `db` (again on the same port after a kill). */
async function startReplica(db: string, ports: number[], i: number, name: string): Promise<ServeProcess> {
  const port = ports[i] as number;
  return startServeProcess({
    command: process.execPath,
    args: [
      '-e',
      `require(${JSON.stringify(join(dist, 'cli', 'main.js'))})` +
        '.main(process.argv.slice(1)).then((c) => { process.exitCode = c; })',
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
    ],
    port,
    startMs: 60_000, // three at once on a loaded 2-core machine
    cwd: scratch,
    env: {
      PATH: process.env.PATH,
      NODE_PATH: join(ROOT, 'node_modules'),
      HOME: scratch,
      RUNE_WEBHOOK_TOKEN: AM_TOKEN,
      RUNE_API_TOKENS_FILE: join(scratch, 'tokens'),
      RUNE_CONFIG: join(scratch, `${name}.yaml`),
      RUNE_PLUGINS_DIR: FAULT_PLUGINS,
      RUNE_DB: pg.url(db),
      RUNE_DB_PASSWORD: PG_PASSWORD,
      RUNE_LEASE: LEASE,
    },
  });
}

async function startGroup(name: string, n = 3): Promise<{ db: string; ports: number[]; log: string }> {
  const log = join(scratch, `${name}-runs.log`);
  writeFileSync(join(scratch, `${name}.yaml`), rules(log));
  const db = pg.createDatabase(name.replace(/-/g, '_'));
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  // Started together: they migrate the empty database once, under the write lock.
  const started = await Promise.allSettled(ports.map((_, i) => startReplica(db, ports, i, name)));
  for (const s of started) if (s.status === 'fulfilled') replicas.push(s.value);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return { db, ports, log };
}

async function post(port: number, body: Buffer): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${AM_TOKEN}` },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0; // refused: that replica is down (Alertmanager retries it, and the others got it too)
  }
}

const api = async (port: number, path: string, init: RequestInit = {}) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${API_TOKEN}`, 'Content-Type': 'application/json' },
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

/** Runs from the plugin's log: per node, [start, finish] in ns, by job. */
function runs(log: string): { node: string; job: string; start: bigint; finish: bigint | null }[] {
  if (!existsSync(log)) return [];
  const out = new Map<string, { node: string; job: string; start: bigint; finish: bigint | null }>();
  for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
    const [event, node, job, ns] = line.split(' ') as [string, string, string, string];
    if (event === 'start') {
      if (out.has(job)) throw new Error(`job ${job} started twice`);
      out.set(job, { node, job, start: BigInt(ns), finish: null });
    } else {
      const run = out.get(job);
      if (run) run.finish = BigInt(ns);
    }
  }
  return [...out.values()];
}

test('3 replicas, sent to each, re-sends, flapping, kill -9: one job per episode, none lost, no overlap', async () => {
  const { db, ports, log } = await startGroup('storm');
  // Episodes: 24 alerts over 4 nodes, 12 of which flap (fire again later: a second episode).
  const episodes: { fp: string; node: string; startsAt: string }[] = [];
  const t0 = Date.parse('2026-12-01T10:00:00Z');
  for (let i = 0; i < 24; i++) {
    const fp = `ha${String(i).padStart(14, '0')}`;
    const node = NODES[i % NODES.length] as string;
    episodes.push({ fp, node, startsAt: new Date(t0 + i * 1000).toISOString() });
    if (i % 2 === 0) episodes.push({ fp, node, startsAt: new Date(t0 + 3_600_000 + i * 1000).toISOString() });
  }
  // Notifications: 1 to 3 episodes each; each is sent twice (a re-send), to every replica.
  const notifications: Buffer[] = [];
  for (let i = 0, n = 0; i < episodes.length; i += n) {
    n = 1 + (i % 3);
    const group = episodes.slice(i, i + n);
    const body = alertmanagerPayload(
      `{}:{alertname="Broken",n="${i}"}`,
      group.map((e) => ({
        labels: { alertname: 'Broken', instance: e.node },
        fingerprint: e.fp,
        startsAt: e.startsAt,
      })),
    );
    notifications.push(body, body);
  }

  let killing = true;
  let kills = 0;
  const killer = (async () => {
    while (killing) {
      await new Promise((r) => setTimeout(r, 2500));
      if (!killing) break;
      const i = kills++ % ports.length;
      await replicas[i]?.stop(); // SIGKILL
      replicas[i] = await startReplica(db, ports, i, 'storm');
    }
  })();
  let lost = 0;
  try {
    for (const body of notifications) {
      // Delivered to every replica; retried (as Alertmanager does) until one of them accepted it.
      let accepted = false;
      for (let attempt = 0; attempt < 40 && !accepted; attempt++) {
        const statuses = await Promise.all(ports.map((p) => post(p, body)));
        accepted = statuses.some((s) => s === 202);
        if (!accepted) await new Promise((r) => setTimeout(r, 250));
      }
      if (!accepted) lost++;
      await new Promise((r) => setTimeout(r, 150));
    }
  } finally {
    killing = false;
    await killer;
  }
  expect(lost).toBe(0);
  expect(kills).toBeGreaterThanOrEqual(2);
  expect(replicas.map((r) => r?.output() ?? '').join('')).not.toContain(PG_PASSWORD); // secrets stay out of logs

  // Every job ends: queued ones of killed replicas are taken over within the lease (3 s + a tick),
  // runs cut by a kill are outcome_unknown and hold their node for their run window.
  const unfinished = () => Number(pg.psql("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')", db));
  await waitFor(
    () => unfinished() === 0,
    () => `every job to end (${unfinished()} left)`,
    120_000,
    500,
  );

  const rows = pg
    .psql('SELECT alert_episode, id, status FROM jobs ORDER BY seq', db)
    .trim()
    .split('\n')
    .map((l) => l.split('|') as [string, string, string]);
  const perEpisode = new Map<string, string[]>();
  for (const [episode, id] of rows) perEpisode.set(episode, [...(perEpisode.get(episode) ?? []), id]);
  const expected = episodes.map((e) => `${e.fp}\u241f${rfc3339Instant(e.startsAt)}`);
  expect([...perEpisode.keys()].sort()).toEqual([...new Set(expected)].sort());
  expect([...perEpisode.entries()].filter(([, ids]) => ids.length !== 1)).toEqual([]);

  // No job ran twice (runs() throws), and per node the runs never overlapped.
  const all = runs(log);
  for (const node of NODES) {
    const mine = all.filter((r) => r.node === node).sort((a, b) => (a.start < b.start ? -1 : 1));
    for (let i = 1; i < mine.length; i++) {
      const before = mine[i - 1]!;
      expect({ job: before.job, finished: before.finish !== null }).toEqual({ job: before.job, finished: true });
      expect(mine[i]!.start > (before.finish as bigint)).toBe(true);
    }
  }
  const statuses = rows.map(([, , s]) => s);
  expect(statuses.filter((s) => !['succeeded', 'outcome_unknown', 'interrupted', 'skipped'].includes(s))).toEqual([]);
  expect(statuses.filter((s) => s === 'succeeded').length).toBeGreaterThan(episodes.length / 2);
}, 240_000);

test('a pause, a cancel and a job seen from any replica; no database: 503, then back by itself', async () => {
  const { db, ports } = await startGroup('shared', 2);
  const [a, b] = ports as [number, number];
  expect((await api(a, '/api/v1/pause', { method: 'POST', body: '{"reason":"maintenance"}' })).status).toBe(200);
  expect(await (await fetch(`http://127.0.0.1:${b}/-/ready`)).text()).toMatch(/Automatic runs are PAUSED/);
  expect((await api(b, '/api/v1/resume', { method: 'POST', body: '{}' })).status).toBe(200);
  // A token added and reloaded on a works on b too (b reloads its own file when it sees a's reload).
  const added = 'api-token-ha-added-000001';
  appendFileSync(join(scratch, 'tokens'), tokenLine('late', 'viewer', added));
  const asAdded = (port: number) =>
    fetch(`http://127.0.0.1:${port}/api/v1/jobs`, { headers: { Authorization: `Bearer ${added}` } }).then(
      (r) => r.status,
    );
  expect(await asAdded(b)).toBe(401);
  expect((await api(a, '/-/reload', { method: 'POST', body: '{}' })).status).toBe(200);
  await waitFor(async () => (await asAdded(b)) === 200, 'b to reload the tokens a reloaded', 10_000, 200);

  // A dashboard session made on a works on b; signing out on b ends it on a.
  const browser = await signIn(`http://127.0.0.1:${a}`, API_TOKEN, 'rune_session');
  const onB = await fetch(`http://127.0.0.1:${b}/`, { headers: { Cookie: browser.cookie }, redirect: 'manual' });
  expect([onB.status, (await onB.text()).includes('ops')]).toEqual([200, true]);
  const signOut = await fetch(`http://127.0.0.1:${b}/logout`, {
    method: 'POST',
    headers: { Cookie: browser.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `_csrf=${encodeURIComponent(browser.csrf)}`,
    redirect: 'manual',
  });
  expect(signOut.status).toBe(303);
  const onA = await fetch(`http://127.0.0.1:${a}/`, { headers: { Cookie: browser.cookie }, redirect: 'manual' });
  expect(onA.status).toBe(303); // to the sign-in form

  // A job created on a and run there is seen and cancelled from b (asked through the database).
  const created = await api(a, '/api/v1/jobs', {
    method: 'POST',
    body: JSON.stringify({
      action: 'sleep-mutating',
      node: 'node-1',
      params: { seconds: '20', log: join(scratch, 'cancel.log') },
    }),
  });
  expect(created.status).toBe(202);
  const id = created.body.job_id as string;
  await waitFor(async () => (await api(b, `/api/v1/jobs/${id}`)).body.status === 'running', 'the job to run on a');
  const cancel = await api(b, `/api/v1/jobs/${id}/cancel`, {
    method: 'POST',
    body: '{"force":true,"reason":"wrong node"}',
  });
  expect(cancel).toMatchObject({ status: 202, body: { status: 'cancelling' } });
  const ended = await waitFor(async () => {
    const j = (await api(b, `/api/v1/jobs/${id}`)).body;
    return j.status === 'running' ? null : j;
  }, 'the job to stop on a');
  expect(ended).toMatchObject({ status: 'cancelled', result: { status: 'cancelled' } });
  expect(JSON.stringify(ended.result)).toContain('cancelled: by ops: wrong node');

  // The database goes away: not ready, webhooks 503 (Alertmanager retries); back when it returns.
  const body = alertmanagerPayload('{}:{alertname="Broken"}', [
    { labels: { alertname: 'Broken', instance: 'node-2' }, fingerprint: 'ab00000000000001' },
  ]);
  pg.stopServer();
  try {
    expect((await fetch(`http://127.0.0.1:${a}/-/ready`)).status).toBe(503);
    expect(await post(a, body)).toBe(503);
  } finally {
    pg.startServer();
  }
  await waitFor(async () => (await post(a, body)) === 202, 'webhooks to be accepted again', 30_000, 500);
  expect(pg.psql("SELECT count(*) FROM jobs WHERE alert_episode LIKE 'ab00000000000001%'", db).trim()).toBe('1');
}, 120_000);
