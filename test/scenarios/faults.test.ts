/**
 * Issue #5, "Faults": what RUNE does when the world breaks under it, each as a user sees it.
 *
 * - kill -9 and SIGTERM: `rune serve` as a real process (compiled once to a scratch dist, as in
 *   test/scenarios/serve-process.test.ts), a mutating fixture plugin that takes a while on `localhost`.
 * - SSH faults mid-fleet: `rune run` over real sshd daemons; one is killed while its node runs.
 * - PagerDuty 500 → 429 → 201, a permanent 400, a stuck note: a local PagerDuty speaking §3.
 * - Disk full: RUNE_DB on a small tmpfs mounted here (CI runs as root) and filled up.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  chmodSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { alertmanagerIncidentKey } from '../../src/reporters/alertmanager-incident-key';
import type { RunningServer } from '../../src/server/start-server';
import { alertmanagerPayload } from '../helpers/alertmanager-payload';
import { tokenLine } from '../helpers/api-tokens';
import { pagerDutyError, startFakePagerDuty, type FakePagerDuty } from '../helpers/fake-pagerduty';
import { processTree, signalAll } from '../helpers/process-tree';
import { jsonLines, runCli } from '../helpers/run-cli';
import { freePort, startSilentListener, startSshd, type SilentListener, type TestSshd } from '../helpers/sshd';
import { recordingLog } from '../helpers/quiet-log';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { compileRune, ROOT, startServeProcess, startTestServer } from '../helpers/test-server';
import { waitFor } from '../helpers/wait-for';

const FAULT_PLUGINS = join(__dirname, '..', 'fixtures', 'fault-plugins');
const AM_TOKEN = 'am-token-faults-0123';
const API_TOKEN = 'api-token-faults-4567';
const PD_TOKEN = 'pd-token';
const FROM = 'rune-bot@example.com';

let scratch: string;

beforeAll(() => {
  scratch = makeTempDir('faults');
  chmodSync(scratch, 0o755);
});
afterAll(() => removeTempDir(scratch));

/** Lines `start <job> <node> pgid=<n>` / `finish <job> <node>` written by the sleep-mutating fixture. */
function runLog(path: string): { event: string; job: string; node: string; pgid: number | null }[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [event, job, node, pg] = l.split(' ');
      return {
        event: event as string,
        job: job as string,
        node: node as string,
        pgid: pg ? Number(pg.replace('pgid=', '')) : null,
      };
    });
}

/**
 * Ends the fixture runs of `log` that started and did not finish, by their process groups (a killed
 * RUNE, or one that stopped at its shutdown bound, leaves them sleeping): `job` narrows it to one.
 */
const ended = new Set<number>(); // never signal a process group twice: its number may be reused since
function endOrphanedRuns(log: string, job?: string): void {
  const lines = runLog(log);
  const finished = new Set(lines.filter((l) => l.event === 'finish').map((l) => `${l.job} ${l.node}`));
  for (const line of lines) {
    if (line.event !== 'start' || !line.pgid || finished.has(`${line.job} ${line.node}`)) continue;
    if ((job !== undefined && line.job !== job) || ended.has(line.pgid)) continue;
    ended.add(line.pgid);
    try {
      process.kill(-line.pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

describe('rune serve as a process: kill -9 and SIGTERM', () => {
  let dist: string;
  /** Run logs of this block's tests: whatever they left sleeping is ended after each test. */
  const logs: string[] = [];

  beforeAll(() => {
    dist = compileRune(join(scratch, 'dist'));
    writeFileSync(join(scratch, 'tokens'), tokenLine('ops', 'admin', API_TOKEN));
  }, 60_000);
  afterEach(() => logs.forEach((log) => endOrphanedRuns(log)));

  const rules = (log: string) => `nodes:
  - {name: localhost, transport: local}
rules:
  - name: slow-fix
    matchers: ['alertname="SlowFix"']
    node: "{{ labels.instance | hostname }}"
    steps:
      - action: sleep-mutating
        params: {seconds: "{{ labels.seconds }}", log: "${log}"}
`;

  const runLogFor = (name: string) => {
    const log = join(scratch, `${name}-runs.log`);
    logs.push(log);
    return log;
  };

  const serve = (name: string, port: number, extraArgs: string[] = []) =>
    startServeProcess({
      command: process.execPath,
      args: [
        '-e',
        `require(${JSON.stringify(join(dist, 'cli', 'main.js'))})` +
          '.main(process.argv.slice(1)).then((c) => { process.exitCode = c; })',
        'serve',
        '--listen',
        `127.0.0.1:${port}`,
        ...extraArgs,
      ],
      port,
      cwd: scratch,
      // NODE_PATH: the scratch dist/ resolves its dependencies from this checkout's node_modules.
      env: {
        PATH: process.env.PATH,
        NODE_PATH: join(ROOT, 'node_modules'),
        HOME: scratch,
        RUNE_WEBHOOK_TOKEN: AM_TOKEN,
        RUNE_API_TOKENS_FILE: join(scratch, 'tokens'),
        RUNE_CONFIG: join(scratch, `${name}.yaml`),
        RUNE_PLUGINS_DIR: FAULT_PLUGINS,
        RUNE_DB: join(scratch, `${name}.db`),
      },
    });

  const amPost = (port: number, body: Buffer) =>
    fetch(`http://127.0.0.1:${port}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${AM_TOKEN}`, 'Content-Type': 'application/json' },
      body,
    });
  const getJob = async (port: number, id: string): Promise<Record<string, any>> =>
    (
      await fetch(`http://127.0.0.1:${port}/api/v1/jobs/${id}`, { headers: { Authorization: `Bearer ${API_TOKEN}` } })
    ).json() as Promise<Record<string, any>>;

  test('kill -9 mid mutating run: outcome_unknown, node held until released, no re-run, dedup', async () => {
    const log = runLogFor('kill9');
    writeFileSync(join(scratch, 'kill9.yaml'), rules(log));
    // Two alerts for the same node: both mutating, so the second waits behind the node lock.
    const body = alertmanagerPayload('{}:{alertname="SlowFix"}', [
      { labels: { alertname: 'SlowFix', instance: 'localhost:9100', seconds: '30' }, fingerprint: '000000000000000a' },
      {
        labels: { alertname: 'SlowFix', instance: 'localhost:9100', seconds: '1', disk: 'sdb' },
        fingerprint: '000000000000000b',
      },
    ]);
    const port = await freePort();
    const first = await serve('kill9', port);
    let a: string;
    let b: string;
    try {
      const r = await amPost(port, body);
      expect(r.status).toBe(202);
      [a, b] = ((await r.json()) as { jobs: string[] }).jobs as [string, string];
      await waitFor(
        async () =>
          (await getJob(port, a)).status === 'running' && runLog(log).some((l) => l.event === 'start' && l.job === a),
        'job a to be running on the node',
      );
      expect((await getJob(port, b)).status).toBe('queued');
      first.proc.kill('SIGKILL');
      expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    } finally {
      await first.stop();
    }
    endOrphanedRuns(log, a); // the plugin outlives a killed RUNE (its own process group); end it here

    const second = await serve('kill9', port);
    try {
      // RUNE cannot know how a's repair ended (its plugin was running when RUNE died): the node is
      // held for a's run window (timeout + kill grace), and b, mutating on the same node, waits.
      const unknown = await getJob(port, a);
      expect(unknown).toMatchObject({
        status: 'outcome_unknown',
        reason: expect.stringMatching(/^outcome_unknown: RUNE stopped while sleep-mutating ran on localhost;/),
        lock_until: expect.any(String),
        result: { status: 'outcome_unknown' },
      });
      const gauges = async () =>
        (
          await (
            await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { Authorization: `Bearer ${API_TOKEN}` } })
          ).text()
        ).match(/rune_queue_jobs\{state="(running|waiting)"\} \d+/g);
      await waitFor(
        async () =>
          (await gauges())?.join() === 'rune_queue_jobs{state="running"} 0,rune_queue_jobs{state="waiting"} 1',
        'b to wait for the held node',
      );
      expect((await getJob(port, b)).status).toBe('queued');
      // An operator who checked the node releases it (audited); b runs now.
      const released = await fetch(`http://127.0.0.1:${port}/api/v1/jobs/${a}/release`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${API_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ reason: 'checked: the old run is gone' }),
      });
      expect([released.status, await released.json()]).toEqual([
        200,
        { status: 'released', job_id: a, node: 'localhost' },
      ]);
      const queued = await waitFor(async () => {
        const j = await getJob(port, b);
        return j.status !== 'queued' && j.status !== 'running' ? j : null;
      }, 'job b to finish after the restart');
      expect(queued).toMatchObject({ status: 'succeeded', result: { summary: 'slept 1s' } });

      const again = await amPost(port, body);
      expect(again.status).toBe(202);
      const repeat = (await again.json()) as { jobs: string[]; duplicates: string[] };
      expect(repeat.jobs).toEqual([]);
      expect([...repeat.duplicates].sort()).toEqual([a, b].sort());
      // Nothing is left to run: a wrongful re-run of a would be waiting or running now (its plugin
      // sleeps 30 s), not past; the queue gauges say so at once, no sleep needed.
      const metrics = await (
        await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { Authorization: `Bearer ${API_TOKEN}` } })
      ).text();
      expect(metrics).toContain('rune_queue_jobs{state="running"} 0\n');
      expect(metrics).toContain('rune_queue_jobs{state="waiting"} 0\n');
      const starts = runLog(log)
        .filter((l) => l.event === 'start')
        .map((l) => l.job);
      expect(starts).toEqual([a, b]); // each ran exactly once, a never again
      expect((await getJob(port, a)).status).toBe('outcome_unknown');
      second.proc.kill('SIGTERM');
      expect(await second.exited).toEqual({ code: 0, signal: null });
    } finally {
      await second.stop();
    }
    // History, dedup key and audit survived the crash (read after the process is gone).
    const db = new Database(join(scratch, 'kill9.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT id, status FROM jobs ORDER BY seq').all()).toEqual([
        { id: a, status: 'outcome_unknown' },
        { id: b, status: 'succeeded' },
      ]);
      expect((db.prepare('SELECT count(*) AS n FROM dedup').get() as { n: number }).n).toBe(2);
      expect(
        (db.prepare("SELECT count(*) AS n FROM audit WHERE actor = 'alertmanager'").get() as { n: number }).n,
      ).toBe(2);
    } finally {
      db.close();
    }
  }, 30_000);

  test('SIGTERM while a job runs: webhooks get 503 and /-/ready 503, the running job finishes, exit 0', async () => {
    const log = runLogFor('term');
    writeFileSync(join(scratch, 'term.yaml'), rules(log));
    const port = await freePort();
    const s = await serve('term', port);
    try {
      const r = await amPost(
        port,
        alertmanagerPayload('g1', [
          { labels: { alertname: 'SlowFix', instance: 'localhost', seconds: '2' }, fingerprint: '00000000000000c1' },
        ]),
      );
      const [job] = ((await r.json()) as { jobs: string[] }).jobs as [string];
      await waitFor(
        () => runLog(log).some((l) => l.event === 'start' && l.job === job),
        'the job to start on the node',
      );
      s.proc.kill('SIGTERM');
      await waitFor(() => s.output().includes('shutting down'), 'the shutdown to begin', 5000);
      // Alertmanager retries a 5xx and a refused connection alike (docs/protocols.md §1.1); a 2xx or
      // a 4xx here would lose the alert.
      const late = await amPost(
        port,
        alertmanagerPayload('g2', [
          { labels: { alertname: 'SlowFix', instance: 'localhost', seconds: '1' }, fingerprint: '00000000000000c2' },
        ]),
      ).then(
        (res) => `HTTP ${res.status}`,
        (err: Error & { cause?: { code?: string } }) => `connection error ${err.cause?.code ?? err.message}`,
      );
      expect(late).toBe('HTTP 503'); // still listening while the job finishes: drainable, retried
      expect((await fetch(`http://127.0.0.1:${port}/-/ready`)).status).toBe(503);
      expect(await s.exited).toEqual({ code: 0, signal: null });
    } finally {
      await s.stop();
    }
    expect(runLog(log).map((l) => l.event)).toEqual(['start', 'finish']);
    const db = new Database(join(scratch, 'term.db'), { readonly: true });
    try {
      // the late alert was not stored
      expect(db.prepare('SELECT status FROM jobs').all()).toEqual([{ status: 'succeeded' }]);
    } finally {
      db.close();
    }
  }, 30_000);

  test('SIGTERM with a job running past --shutdown-grace: exit 0 at the bound, its outcome unknown', async () => {
    const log = runLogFor('grace');
    writeFileSync(join(scratch, 'grace.yaml'), rules(log));
    const port = await freePort();
    const s = await serve('grace', port, ['--shutdown-grace', '1s']);
    try {
      const r = await amPost(
        port,
        alertmanagerPayload('g-grace', [
          { labels: { alertname: 'SlowFix', instance: 'localhost', seconds: '20' }, fingerprint: '00000000000000d1' },
        ]),
      );
      const [job] = ((await r.json()) as { jobs: string[] }).jobs as [string];
      await waitFor(
        () => runLog(log).some((l) => l.event === 'start' && l.job === job),
        'the job to start on the node',
      );
      const t0 = Date.now();
      s.proc.kill('SIGTERM');
      expect(await s.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - t0).toBeLessThan(8000); // the bound (1 s), not the plugin's 20 s
      const db = new Database(join(scratch, 'grace.db'), { readonly: true });
      try {
        expect(db.prepare('SELECT status, reason FROM jobs WHERE id = ?').get(job)).toEqual({
          status: 'outcome_unknown',
          reason: expect.stringMatching(/^outcome_unknown: RUNE stopped while sleep-mutating ran on localhost;/),
        });
      } finally {
        db.close();
      }
    } finally {
      await s.stop(); // the cut-off plugin, still sleeping, is ended by afterEach
    }
  }, 30_000);
});

describe('SSH faults in the middle of a fleet run (rune run)', () => {
  let a: TestSshd; // healthy: ok-1, ok-2, and the address whose host key "changed"
  let b: TestSshd; // killed while lost-1 runs; refused-1 is contacted after that
  let silent: SilentListener; // blackholed-1

  beforeAll(async () => {
    a = await startSshd({ addresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] });
    b = await startSshd({ addresses: ['127.0.0.5', '127.0.0.6'], alsoAccept: a.userKey });
    silent = await startSilentListener('127.0.0.7');
  }, 30_000);

  afterAll(async () => {
    await silent?.close();
    await a?.stop();
    await b?.stop(); // also when the test killed its daemon
  });

  test('killed sshd, changed host key, silent address: each fails its node with its code; others succeed', async () => {
    const shared = join(scratch, 'fleet');
    mkdirSync(shared, { mode: 0o1777 });
    chmodSync(shared, 0o1777); // the remote user writes the run log here
    const log = join(shared, 'runs.log');
    const silentPort = silent.port;
    const config = join(scratch, 'fleet.yaml');
    writeFileSync(
      config,
      `defaults: {connect_timeout: 2s}
nodes:
  - {name: ok-1, address: 127.0.0.2, port: ${a.port}}
  - {name: lost-1, address: 127.0.0.5, port: ${b.port}}
  - {name: rekeyed-1, address: 127.0.0.4, port: ${a.port}}
  - {name: blackholed-1, address: 127.0.0.7, port: ${silentPort}, connect_timeout: 1s}
  - {name: refused-1, address: 127.0.0.6, port: ${b.port}}
  - {name: ok-2, address: 127.0.0.3, port: ${a.port}}
`,
    );
    const otherKey = readFileSync(`${a.wrongKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    const knownHosts = a.writeKnownHosts('kh-fleet', [
      `[127.0.0.2]:${a.port} ${a.hostKeyLine}`,
      `[127.0.0.3]:${a.port} ${a.hostKeyLine}`,
      `[127.0.0.4]:${a.port} ${otherKey}`, // the node's key "changed" since it was recorded
      `[127.0.0.5]:${b.port} ${b.hostKeyLine}`,
      `[127.0.0.6]:${b.port} ${b.hostKeyLine}`,
    ]);
    const env = {
      PATH: process.env.PATH,
      HOME: scratch,
      RUNE_CONFIG: config,
      RUNE_PLUGINS_DIR: FAULT_PLUGINS,
      RUNE_SSH_KEY: a.userKey,
      RUNE_SSH_KNOWN_HOSTS: knownHosts,
      RUNE_SSH_USER: a.user,
    };
    const nodes = ['ok-1', 'lost-1', 'rekeyed-1', 'blackholed-1', 'refused-1', 'ok-2'];

    // When lost-1's plugin has started, b's whole sshd goes away: daemon, sessions, the plugin.
    const sshdPid = Number(readFileSync(join(b.dir, 'sshd.0.pid'), 'utf8'));
    let killedAt = 0;
    const killer = waitFor(
      () => runLog(log).some((l) => l.event === 'start' && l.node === 'lost-1'),
      'lost-1 to start',
      15_000,
      10,
    ).then(() => {
      // Daemons first: killed leaves-first, a session sshd could still forward the dying plugin's
      // exit status before its own turn came (seen under load), and that is not a lost connection.
      signalAll(processTree(sshdPid), 'SIGKILL');
      killedAt = Date.now();
    });
    killer.catch(() => undefined); // awaited below; if the run throws first, its timeout is not an unhandled rejection
    const started = Date.now();
    // Two at a time, in list order: refused-1 comes up only after b is gone.
    const r = await runCli(
      [
        'run',
        'sleep-mutating',
        ...nodes.flatMap((n) => ['--node', n]),
        '--param',
        'seconds=2',
        '--param',
        `log=${log}`,
        '--concurrency',
        '2',
        '--output',
        'json',
      ],
      env,
    );
    await killer;
    const results = jsonLines(r.stdout);
    expect(results.map((x) => [x.node, x.status, x.error?.code ?? null])).toEqual([
      ['ok-1', 'succeeded', null],
      ['lost-1', 'failed', 'CONNECTION_LOST'],
      ['rekeyed-1', 'failed', 'HOST_KEY_MISMATCH'],
      ['blackholed-1', 'failed', 'CONNECT_TIMEOUT'],
      ['refused-1', 'failed', 'CONNECT_REFUSED'],
      ['ok-2', 'succeeded', null],
    ]);
    for (const x of results.filter((y) => y.error)) {
      expect(x.error.stage).toBe('transport');
      expect(x.error.message).toContain(x.node); // each error names its node
    }
    expect(results.find((x) => x.node === 'lost-1')!.error.message).toMatch(/outcome is unknown/);
    expect(r.code).toBe(3); // docs/architecture.md: 3 = a node could not be reached
    expect(killedAt - started).toBeLessThan(2000); // lost-1 really was mid-run when its sshd died
    expect(
      runLog(log)
        .filter((l) => l.event === 'finish')
        .map((l) => l.node)
        .sort(),
    ).toEqual(['ok-1', 'ok-2']);
  }, 30_000);
});

/** PagerDuty's answers to a note (docs/protocols.md §3.2, §3.3): a server error, a rate limit, a refusal. */
const PD_500 = pagerDutyError(500, 'Internal Server Error', 2000);
const PD_429 = pagerDutyError(429, 'Rate Limit Exceeded', 2020, { headers: { 'ratelimit-reset': '1' } });
const PD_400 = pagerDutyError(400, 'Invalid Input Provided', 2001, { errors: ['Note content is too long'] });

describe('PagerDuty notes through the service: retried, recorded, never blocking others', () => {
  const groups = { flaky: 'g-flaky', bad: 'g-bad', stuck: 'g-stuck', other: 'g-other' } as const;
  let pd: FakePagerDuty;
  let s: RunningServer;

  beforeAll(async () => {
    pd = await startFakePagerDuty({
      token: PD_TOKEN,
      from: FROM,
      incidents: Object.entries(groups).map(([k, g]) => ({
        id: `P${k.toUpperCase()}`,
        incident_key: alertmanagerIncidentKey(g),
        status: 'triggered' as const,
      })),
      noteReplies: { PFLAKY: [PD_500, PD_429], PBAD: [PD_400], PSTUCK: ['hold'] },
    });
    const dir = join(scratch, 'pd');
    mkdirSync(dir);
    writeFileSync(join(dir, 'tokens'), tokenLine('ops', 'admin', API_TOKEN));
    s = await startTestServer({
      dir,
      name: 'rules',
      config: `nodes:
  - {name: localhost, transport: local}
notify:
  pagerduty: {from: ${FROM}}
rules:
  - name: note-me
    matchers: ['alertname="NoteMe"']
    node: localhost
    steps: [{action: noop, params: {message: "{{ labels.case }}"}}]
    notify: [pagerduty]
`,
      env: {
        RUNE_WEBHOOK_TOKEN: AM_TOKEN,
        RUNE_API_TOKENS_FILE: join(dir, 'tokens'),
        RUNE_PAGERDUTY_TOKEN: PD_TOKEN,
        RUNE_PAGERDUTY_API_URL: pd.url,
      },
    });
  });
  afterAll(async () => {
    pd?.held.forEach((release) => release());
    await s?.close(5000);
    await pd?.close();
  });

  const fire = async (name: keyof typeof groups): Promise<string> => {
    const body = alertmanagerPayload(groups[name], [
      { labels: { alertname: 'NoteMe', case: name }, fingerprint: `00000000000000${name.slice(0, 2)}` },
    ]);
    const r = await fetch(`${s.url}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${AM_TOKEN}`, 'Content-Type': 'application/json' },
      body,
    });
    expect(r.status).toBe(202);
    return ((await r.json()) as { jobs: string[] }).jobs[0] as string;
  };
  const jobView = async (id: string) =>
    (
      await fetch(`${s.url}/api/v1/jobs/${id}`, { headers: { Authorization: `Bearer ${API_TOKEN}` } })
    ).json() as Promise<Record<string, any>>;
  const delivered = (id: string) =>
    waitFor(async () => ((await jobView(id)).deliveries.length > 0 ? jobView(id) : null), `the delivery of job ${id}`);

  test('500, then 429 (ratelimit-reset: 1), then 201: the note is retried and lands exactly once', async () => {
    const job = await delivered(await fire('flaky'));
    expect(job.deliveries).toEqual([
      expect.objectContaining({
        reporter: 'pagerduty',
        ok: true,
        status: 201,
        target: 'PFLAKY',
        attempts: 3, // the three POSTs of the note (the incident look-up is not counted)
        error: null,
      }),
    ]); // 1 lookup + 3 posts
    expect(pd.notes.filter((n) => n.incidentPath === 'PFLAKY')).toHaveLength(1);
    const posts = pd.requests.filter((r) => r.method === 'POST' && r.url === '/incidents/PFLAKY/notes');
    expect(posts).toHaveLength(3);
    expect(posts[2]!.at - posts[1]!.at).toBeGreaterThanOrEqual(950); // the 429's ratelimit-reset was honoured
  });

  test('a permanent 400 is not retried, shows on the job as a failed delivery; the job itself succeeded', async () => {
    const job = await delivered(await fire('bad'));
    expect(job.status).toBe('succeeded');
    expect(job.deliveries).toEqual([
      expect.objectContaining({ reporter: 'pagerduty', ok: false, status: 400, target: 'PBAD', attempts: 1 }),
    ]);
    expect(job.deliveries[0].error).toMatch(
      /HTTP 400: Invalid Input Provided \(code 2001\): Note content is too long after 1 attempt/,
    );
    expect(pd.requests.filter((r) => r.method === 'POST' && r.url === '/incidents/PBAD/notes')).toHaveLength(1);
  });

  test("a note PagerDuty does not answer does not hold back another job's note", async () => {
    const stuck = await fire('stuck');
    await waitFor(() => pd.held.length === 1, 'the stuck note to reach PagerDuty');
    const other = await delivered(await fire('other'));
    expect(other.deliveries[0]).toMatchObject({ ok: true, target: 'POTHER' });
    expect((await jobView(stuck)).deliveries).toEqual([]); // still waiting on PagerDuty
    pd.held.shift()!();
    expect((await delivered(stuck)).deliveries[0]).toMatchObject({ ok: true, target: 'PSTUCK', attempts: 1 });
    expect(pd.notes.map((n) => n.incidentPath).filter((i) => i === 'POTHER' || i === 'PSTUCK')).toEqual([
      'POTHER',
      'PSTUCK',
    ]);
  });
});

describe('a stuck note does not hold the node lock', () => {
  test("the next mutating job on the same node runs while the previous job's PagerDuty note hangs", async () => {
    const pd = await startFakePagerDuty({
      token: PD_TOKEN,
      from: FROM,
      incidents: [{ id: 'PLOCK', incident_key: alertmanagerIncidentKey('g-lock'), status: 'triggered' }],
      noteReplies: { PLOCK: ['hold'] },
    });
    const dir = join(scratch, 'lock');
    mkdirSync(dir);
    const log = join(dir, 'runs.log');
    const s = await startTestServer({
      dir,
      name: 'rules',
      plugins: FAULT_PLUGINS,
      config: `nodes:
  - {name: localhost, transport: local}
notify:
  pagerduty: {from: ${FROM}}
rules:
  - name: fix
    matchers: ['alertname="Fix"']
    node: localhost
    steps: [{action: sleep-mutating, params: {seconds: "0", log: "${log}"}}]
    notify: [pagerduty]
`,
      env: { RUNE_WEBHOOK_TOKEN: AM_TOKEN, RUNE_PAGERDUTY_TOKEN: PD_TOKEN, RUNE_PAGERDUTY_API_URL: pd.url },
    }).catch(async (err: unknown) => {
      await pd.close();
      throw err;
    });
    try {
      const post = (fp: string) =>
        fetch(`${s.url}/webhooks/alertmanager`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${AM_TOKEN}`, 'Content-Type': 'application/json' },
          body: alertmanagerPayload('g-lock', [{ labels: { alertname: 'Fix' }, fingerprint: fp }]),
        });
      await post('00000000000000e1');
      await waitFor(() => pd.held.length === 1, 'the first note to hang at PagerDuty');
      const [second] = ((await (await post('00000000000000e2')).json()) as { jobs: string[] }).jobs as [string];
      const ran = await waitFor(() => s.store.getJob(second)?.result, 'the second job', 3000).catch(() => null);
      expect(ran?.status ?? 'still queued: the first job holds the node lock while its PagerDuty note is stuck').toBe(
        'succeeded',
      );
    } finally {
      pd.held.forEach((release) => release());
      await s.close(5000);
      await pd.close();
    }
  });
});

describe('the database disk is full', () => {
  let mnt: string;
  let mounted = false;
  let s: RunningServer;

  beforeAll(async () => {
    mnt = join(scratch, 'dbfs');
    mkdirSync(mnt);
    // Real ENOSPC from a real filesystem: a 4 MiB tmpfs holding RUNE_DB (needs root, as CI runs).
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0755', 'tmpfs', mnt]);
    mounted = true;
    const dir = join(scratch, 'full');
    mkdirSync(dir);
    writeFileSync(join(dir, 'tokens'), tokenLine('ops', 'admin', API_TOKEN));
    s = await startTestServer({
      dir,
      name: 'rules',
      config: [
        'nodes:',
        '  - {name: localhost, transport: local}',
        'rules:',
        '  - name: r',
        `    matchers: ['alertname="DiskTest"']`,
        '    node: localhost',
        '    steps: [{action: noop}]',
        '',
      ].join('\n'),
      env: { RUNE_WEBHOOK_TOKEN: AM_TOKEN, RUNE_API_TOKENS_FILE: join(dir, 'tokens'), RUNE_DB: join(mnt, 'rune.db') },
    });
  });
  afterAll(async () => {
    await s?.close(5000);
    if (mounted) execFileSync('umount', [mnt]);
  });

  /** Writes a file until the filesystem says ENOSPC (within twice its 4 MiB); returns its path. */
  function fillUp(): string {
    const filler = join(mnt, 'filler');
    const fd = openSync(filler, 'w');
    let written = 0;
    try {
      for (const size of [256 * 1024, 4096, 512]) {
        const chunk = Buffer.alloc(size, 1);
        for (;;) {
          if (written > 8 * 1024 * 1024) throw new Error(`${mnt} took 8 MiB without ENOSPC: not the 4 MiB tmpfs`);
          try {
            written += writeSync(fd, chunk);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
            break;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
    return filler;
  }

  test('webhooks 5xx (never 202 if not stored), health stays up, the alert is stored once space is back', async () => {
    const body = alertmanagerPayload('g-disk', [
      { labels: { alertname: 'DiskTest' }, fingerprint: '00000000000000d1' },
    ]);
    const post = () =>
      fetch(`${s.url}/webhooks/alertmanager`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${AM_TOKEN}`, 'Content-Type': 'application/json' },
        body,
      });
    const filler = fillUp();
    const refused = await post();
    expect(refused.status).toBe(503); // Alertmanager retries a 5xx (§1.1)
    expect(((await refused.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringContaining('SQLITE_FULL'),
    });
    expect(s.store.listJobs({ limit: 10 })).toEqual([]);
    expect((await fetch(`${s.url}/-/healthy`)).status).toBe(200);
    const list = await fetch(`${s.url}/api/v1/jobs`, { headers: { Authorization: `Bearer ${API_TOKEN}` } });
    expect(list.status).toBe(200);

    rmSync(filler);
    const retried = await post(); // Alertmanager's retry
    expect(retried.status).toBe(202);
    const accepted = (await retried.json()) as { jobs: string[]; duplicates: string[] };
    // the failed attempt left no dedup key behind
    expect(accepted).toMatchObject({ jobs: [expect.any(String)], duplicates: [] });
    const job = await waitFor(() => s.store.getJob(accepted.jobs[0] as string)?.result, 'the job to run');
    expect(job.status).toBe('succeeded');
  });

  test('a run that ends while the disk is full keeps its result and its node until space is back', async () => {
    const dir = join(scratch, 'full-run');
    mkdirSync(dir);
    writeFileSync(join(dir, 'tokens'), tokenLine('ops', 'admin', API_TOKEN));
    const log = join(dir, 'runs.log');
    const serverLog = recordingLog();
    const m = await startTestServer({
      log: serverLog,
      dir,
      name: 'run',
      config: 'nodes:\n  - {name: localhost, transport: local}\nrules: []\n',
      plugins: FAULT_PLUGINS,
      env: { RUNE_API_TOKENS_FILE: join(dir, 'tokens'), RUNE_DB: join(mnt, 'run.db') },
    });
    let filler: string | undefined;
    try {
      const run = async () => {
        const r = await fetch(`${m.url}/api/v1/jobs`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${API_TOKEN}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({
            action: 'sleep-mutating',
            node: 'localhost',
            params: { seconds: '1', log, pad_kib: '512' },
          }),
        });
        return ((await r.json()) as { job_id: string }).job_id;
      };
      const first = await run();
      const second = await run(); // waits for localhost's lock
      await waitFor(() => runLog(log).some((l) => l.event === 'start'), 'the first run to start');
      filler = fillUp();
      await waitFor(() => runLog(log).some((l) => l.event === 'finish' && l.job === first), 'the first run to end');
      // The plugin ended and the store cannot take its 512 KiB result: RUNE says so, keeps it, and
      // the node stays locked.
      await waitFor(
        () => serverLog.messages('error').some((l) => l.startsWith('the store cannot write (SQLITE_FULL)')),
        'RUNE to say the store cannot write',
      );
      expect([m.queue.running(), m.queue.waiting()]).toEqual([1, 1]);
      expect(m.store.getJob(first)?.status).toBe('running');
      expect(m.store.getJob(second)?.status).toBe('queued');
      expect(runLog(log).filter((l) => l.event === 'start')).toHaveLength(1);
      rmSync(filler);
      filler = undefined;
      await waitFor(() => m.store.getJob(first)?.status === 'succeeded', 'the first result to be stored', 20_000);
      await waitFor(() => m.store.getJob(second)?.status === 'succeeded', 'the second run', 20_000);
      const [a, b] = [m.store.getJob(first), m.store.getJob(second)];
      expect(Date.parse(b?.startedAt as string)).toBeGreaterThanOrEqual(Date.parse(a?.finishedAt as string));
    } finally {
      if (filler) rmSync(filler);
      await m.close(5000);
    }
  });
});
