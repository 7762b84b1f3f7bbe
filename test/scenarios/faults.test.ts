/**
 * Issue #5, "Faults": what RUNE does when the world breaks under it, each as a user sees it.
 *
 * - kill -9 and SIGTERM: `rune serve` as a real process (compiled once to a scratch dist, as in
 *   test/scenarios/serve-process.test.ts), a mutating fixture plugin that takes a while on `localhost`.
 * - SSH faults mid-fleet: `rune run` over real sshd daemons; one is killed while its node runs.
 * - PagerDuty 500 → 429 → 201, a permanent 400, a stuck note: a local PagerDuty speaking §3.
 * - Disk full: RUNE_DB on a small tmpfs mounted here (CI runs as root) and filled up.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defaultTransports } from '../../src/cli/default-transports';
import { readServeSettings, readSettings } from '../../src/settings/read-settings';
import { alertmanagerIncidentKey } from '../../src/reporters/alertmanager-incident-key';
import { startServer, type RunningServer } from '../../src/server/start-server';
import { alertmanagerPayload } from '../helpers/alertmanager-payload';
import { jsonLines, runCli } from '../helpers/run-cli';
import { freePort, startSshd, type TestSshd } from '../helpers/sshd';
import { waitFor } from '../helpers/wait-for';
import { tokenLine } from '../helpers/api-tokens';

const ROOT = join(__dirname, '..', '..');
const FAULT_PLUGINS = join(__dirname, '..', 'fixtures', 'fault-plugins');
const SHIPPED_PLUGINS = join(ROOT, 'plugins');
const AM_TOKEN = 'am-token-faults-0123';
const API_TOKEN = 'api-token-faults-4567';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'rune-faults-'));
  chmodSync(scratch, 0o755);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

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

/** Ends a fixture run that a killed RUNE left behind, by its process group (we started it). */
function endOrphanedRun(log: string, job: string): void {
  for (const line of runLog(log)) {
    if (line.event !== 'start' || line.job !== job || !line.pgid) continue;
    try {
      process.kill(-line.pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

describe('rune serve as a process: kill -9 and SIGTERM', () => {
  let dist: string;

  beforeAll(() => {
    dist = join(scratch, 'dist');
    execFileSync(
      join(ROOT, 'node_modules', '.bin', 'tsc'),
      ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', dist],
      { stdio: 'pipe' },
    );
    writeFileSync(join(scratch, 'tokens'), tokenLine('ops', 'admin', API_TOKEN));
  }, 60_000);

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

  interface Serve {
    proc: ChildProcess;
    output: () => string;
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  }

  async function serve(name: string, port: number, extraArgs: string[] = []): Promise<Serve> {
    const proc = spawn(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(join(dist, 'cli', 'main.js'))}).main(process.argv.slice(1)).then((c) => { process.exitCode = c; })`,
        'serve',
        '--listen',
        `127.0.0.1:${port}`,
        ...extraArgs,
      ],
      {
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
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      proc.once('exit', (code, signal) => r({ code, signal })),
    );
    await waitFor(() => {
      if (proc.exitCode !== null) throw new Error(`rune serve exited ${proc.exitCode}:\n${out}`);
      return out.includes(`serving on http://127.0.0.1:${port}`);
    }, `rune serve on port ${port}`);
    return { proc, output: () => out, exited };
  }

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

  test('kill -9 during a mutating run, then restart: interrupted and not re-run, the queued job runs once, the repeat is a duplicate', async () => {
    const log = join(scratch, 'kill9-runs.log');
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
      if (first.proc.exitCode === null && first.proc.signalCode === null) first.proc.kill('SIGKILL');
    }
    endOrphanedRun(log, a); // the plugin outlives a killed RUNE (its own process group); end it here

    const second = await serve('kill9', port);
    try {
      const interrupted = await getJob(port, a);
      expect(interrupted).toMatchObject({ status: 'interrupted', reason: expect.stringMatching(/interrupted/) });
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
      await new Promise((r) => setTimeout(r, 300)); // room for a wrongful re-run to show up
      const starts = runLog(log)
        .filter((l) => l.event === 'start')
        .map((l) => l.job);
      expect(starts).toEqual([a, b]); // each ran exactly once, a never again
      expect((await getJob(port, a)).status).toBe('interrupted');
      second.proc.kill('SIGTERM');
      expect(await second.exited).toEqual({ code: 0, signal: null });
    } finally {
      if (second.proc.exitCode === null && second.proc.signalCode === null) second.proc.kill('SIGKILL');
    }
    // History, dedup key and audit survived the crash (read after the process is gone).
    const db = new Database(join(scratch, 'kill9.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT id, status FROM jobs ORDER BY seq').all()).toEqual([
        { id: a, status: 'interrupted' },
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
    const log = join(scratch, 'term-runs.log');
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
      if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
    }
    expect(runLog(log).map((l) => l.event)).toEqual(['start', 'finish']);
    const db = new Database(join(scratch, 'term.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT status FROM jobs').all()).toEqual([{ status: 'succeeded' }]); // the late alert was not stored
    } finally {
      db.close();
    }
  }, 30_000);

  test('SIGTERM with a job running past --shutdown-grace: exit 0 at the bound, the job recorded interrupted', async () => {
    const log = join(scratch, 'grace-runs.log');
    writeFileSync(join(scratch, 'grace.yaml'), rules(log));
    const port = await freePort();
    const s = await serve('grace', port, ['--shutdown-grace', '1s']);
    let pgid = '';
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
      pgid = String(runLog(log).find((l) => l.event === 'start')?.pgid ?? '');
      const t0 = Date.now();
      s.proc.kill('SIGTERM');
      expect(await s.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - t0).toBeLessThan(8000); // the bound (1 s), not the plugin's 20 s
      const db = new Database(join(scratch, 'grace.db'), { readonly: true });
      try {
        expect(db.prepare('SELECT status, reason FROM jobs WHERE id = ?').get(job)).toEqual({
          status: 'interrupted',
          reason: expect.stringMatching(/^interrupted/),
        });
      } finally {
        db.close();
      }
    } finally {
      if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
      if (pgid) {
        try {
          process.kill(-Number(pgid), 'SIGKILL'); // the cut-off plugin, still sleeping
        } catch {
          /* already gone */
        }
      }
    }
  }, 30_000);
});

describe('SSH faults in the middle of a fleet run (rune run)', () => {
  let a: TestSshd; // healthy: ok-1, ok-2, and the address whose host key "changed"
  let b: TestSshd; // killed while lost-1 runs; refused-1 is contacted after that
  let silent: ReturnType<typeof createTcpServer>;
  const sockets: Socket[] = [];
  let bKilled = false;

  beforeAll(async () => {
    a = await startSshd({ addresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'] });
    b = await startSshd({ addresses: ['127.0.0.5', '127.0.0.6'], alsoAccept: a.userKey });
    // Stand-in for a blackholed address: loopback TCP that accepts and never says a word, so only
    // the connect timeout can end the wait (as a dropped SYN would, without leaving loopback).
    silent = createTcpServer((sock) => void sockets.push(sock));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.7', r));
  }, 30_000);

  afterAll(async () => {
    sockets.forEach((sock) => sock.destroy());
    silent?.close();
    await a?.stop();
    // sshd.ts stop() waits for an 'exit' that a SIGKILLed daemon already emitted; clean up b by hand.
    if (bKilled) rmSync(b.dir, { recursive: true, force: true });
    else await b?.stop();
  });

  /** Pids of `root` and everything below it, from /proc (so the test ends exactly what it must). */
  function processTree(root: number): number[] {
    const parents = new Map<number, number[]>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
      } catch {
        /* exited meanwhile */
      }
    }
    const out = [root];
    for (let i = 0; i < out.length; i++) out.push(...(parents.get(out[i] as number) ?? []));
    return out;
  }

  test('a killed sshd, a changed host key and a silent address each fail on their own node with their code; the others succeed', async () => {
    const shared = join(scratch, 'fleet');
    mkdirSync(shared, { mode: 0o1777 });
    chmodSync(shared, 0o1777); // the remote user writes the run log here
    const log = join(shared, 'runs.log');
    const silentPort = (silent.address() as { port: number }).port;
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
      for (const pid of processTree(sshdPid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      killedAt = Date.now();
      bKilled = true;
    });
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

/** A PagerDuty REST API (§3) whose note answers are scripted per incident; `hold` answers when released. */
async function startScriptedPagerDuty(
  incidentsByKey: Map<string, string>,
  script: Record<string, (number | 'hold')[]>,
) {
  const notePosts: { incident: string; at: number }[] = [];
  const landed: { incident: string; content: string }[] = [];
  const held: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://pd');
      const reply = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(json));
      };
      if (req.method === 'GET' && url.pathname === '/incidents') {
        const id = incidentsByKey.get(url.searchParams.get('incident_key') ?? '');
        reply(200, {
          incidents: id ? [{ id, type: 'incident', html_url: `https://example.pagerduty.com/incidents/${id}` }] : [],
          more: false,
        });
        return;
      }
      const m = /^\/incidents\/([^/]+)\/notes$/.exec(url.pathname);
      if (req.method !== 'POST' || !m) return reply(404, { error: { message: 'Not Found', code: 2100 } });
      const incident = decodeURIComponent(m[1] as string);
      notePosts.push({ incident, at: Date.now() });
      const content = (JSON.parse(body) as { note: { content: string } }).note.content;
      const next = script[incident]?.shift() ?? 201;
      const land = () => {
        landed.push({ incident, content });
        reply(201, { note: { id: `N${landed.length}`, content } });
      };
      if (next === 'hold') held.push(land);
      else if (next === 201) land();
      else if (next === 429)
        reply(429, { error: { message: 'Rate Limit Exceeded', code: 2020 } }, { 'ratelimit-reset': '1' });
      else if (next === 400)
        reply(400, { error: { message: 'Invalid Input Provided', code: 2001, errors: ['Note content is too long'] } });
      else reply(next, { error: { message: 'Internal Server Error', code: 2000 } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    notePosts,
    landed,
    held,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe('PagerDuty notes through the service: retried, recorded, never blocking others', () => {
  const groups = { flaky: 'g-flaky', bad: 'g-bad', stuck: 'g-stuck', other: 'g-other' } as const;
  const incidents = new Map(
    Object.entries(groups).map(([k, g]) => [alertmanagerIncidentKey(g), `P${k.toUpperCase()}`]),
  );
  let pd: Awaited<ReturnType<typeof startScriptedPagerDuty>>;
  let s: RunningServer;

  beforeAll(async () => {
    pd = await startScriptedPagerDuty(incidents, { PFLAKY: [500, 429, 201], PBAD: [400], PSTUCK: ['hold'] });
    const dir = join(scratch, 'pd');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'rules.yaml'),
      `nodes:
  - {name: localhost, transport: local}
notify:
  pagerduty: {from: rune-bot@example.com}
rules:
  - name: note-me
    matchers: ['alertname="NoteMe"']
    node: localhost
    steps: [{action: noop, params: {message: "{{ labels.case }}"}}]
    notify: [pagerduty]
`,
    );
    writeFileSync(join(dir, 'tokens'), tokenLine('ops', 'admin', API_TOKEN));
    const env = {
      RUNE_CONFIG: join(dir, 'rules.yaml'),
      RUNE_PLUGINS_DIR: SHIPPED_PLUGINS,
      RUNE_WEBHOOK_TOKEN: AM_TOKEN,
      RUNE_API_TOKENS_FILE: join(dir, 'tokens'),
      RUNE_PAGERDUTY_TOKEN: 'pd-token',
      RUNE_PAGERDUTY_API_URL: pd.url,
      RUNE_DB: join(dir, 'rune.db'),
    };
    s = await startServer({
      settings: readSettings({}, env),
      serve: readServeSettings({ listen: '127.0.0.1:0' }, env, (p) => readFileSync(p, 'utf8')),
      log: quiet,
      createTransports: defaultTransports,
    });
  });
  afterAll(async () => {
    pd.held.forEach((release) => release());
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
    expect(pd.landed.filter((n) => n.incident === 'PFLAKY')).toHaveLength(1);
    const posts = pd.notePosts.filter((p) => p.incident === 'PFLAKY');
    expect(posts).toHaveLength(3);
    expect(posts[2]!.at - posts[1]!.at).toBeGreaterThanOrEqual(950); // the 429's ratelimit-reset was honoured
  });

  test('a permanent 400 is not retried and shows on the job as a failed delivery; the job itself succeeded', async () => {
    const job = await delivered(await fire('bad'));
    expect(job.status).toBe('succeeded');
    expect(job.deliveries).toEqual([
      expect.objectContaining({ reporter: 'pagerduty', ok: false, status: 400, target: 'PBAD', attempts: 1 }),
    ]);
    expect(job.deliveries[0].error).toMatch(
      /HTTP 400: Invalid Input Provided \(code 2001\): Note content is too long after 1 attempt/,
    );
    expect(pd.notePosts.filter((p) => p.incident === 'PBAD')).toHaveLength(1);
  });

  test("a note PagerDuty does not answer does not hold back another job's note", async () => {
    const stuck = await fire('stuck');
    await waitFor(() => pd.held.length === 1, 'the stuck note to reach PagerDuty');
    const other = await delivered(await fire('other'));
    expect(other.deliveries[0]).toMatchObject({ ok: true, target: 'POTHER' });
    expect((await jobView(stuck)).deliveries).toEqual([]); // still waiting on PagerDuty
    pd.held.shift()!();
    expect((await delivered(stuck)).deliveries[0]).toMatchObject({ ok: true, target: 'PSTUCK', attempts: 1 });
    expect(pd.landed.map((n) => n.incident).filter((i) => i === 'POTHER' || i === 'PSTUCK')).toEqual([
      'POTHER',
      'PSTUCK',
    ]);
  });
});

describe('a stuck note does not hold the node lock', () => {
  test("the next mutating job on the same node runs while the previous job's PagerDuty note hangs", async () => {
    const pd = await startScriptedPagerDuty(new Map([[alertmanagerIncidentKey('g-lock'), 'PLOCK']]), {
      PLOCK: ['hold'],
    });
    const dir = join(scratch, 'lock');
    mkdirSync(dir);
    const log = join(dir, 'runs.log');
    writeFileSync(
      join(dir, 'rules.yaml'),
      `nodes:
  - {name: localhost, transport: local}
notify:
  pagerduty: {from: rune-bot@example.com}
rules:
  - name: fix
    matchers: ['alertname="Fix"']
    node: localhost
    steps: [{action: sleep-mutating, params: {seconds: "0", log: "${log}"}}]
    notify: [pagerduty]
`,
    );
    const env = {
      RUNE_CONFIG: join(dir, 'rules.yaml'),
      RUNE_PLUGINS_DIR: FAULT_PLUGINS,
      RUNE_WEBHOOK_TOKEN: AM_TOKEN,
      RUNE_PAGERDUTY_TOKEN: 'pd-token',
      RUNE_PAGERDUTY_API_URL: pd.url,
      RUNE_DB: join(dir, 'rune.db'),
    };
    const s = await startServer({
      settings: readSettings({}, env),
      serve: readServeSettings({ listen: '127.0.0.1:0' }, env, (p) => readFileSync(p, 'utf8')),
      log: quiet,
      createTransports: defaultTransports,
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
  let s: RunningServer;

  beforeAll(async () => {
    mnt = join(scratch, 'dbfs');
    mkdirSync(mnt);
    // Real ENOSPC from a real filesystem: a 4 MiB tmpfs holding RUNE_DB (needs root, as CI runs).
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0755', 'tmpfs', mnt]);
    const dir = join(scratch, 'full');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'rules.yaml'),
      `nodes:\n  - {name: localhost, transport: local}\nrules:\n  - name: r\n    matchers: ['alertname="DiskTest"']\n    node: localhost\n    steps: [{action: noop}]\n`,
    );
    writeFileSync(join(dir, 'tokens'), tokenLine('ops', 'admin', API_TOKEN));
    const env = {
      RUNE_CONFIG: join(dir, 'rules.yaml'),
      RUNE_PLUGINS_DIR: SHIPPED_PLUGINS,
      RUNE_WEBHOOK_TOKEN: AM_TOKEN,
      RUNE_API_TOKENS_FILE: join(dir, 'tokens'),
      RUNE_DB: join(mnt, 'rune.db'),
    };
    s = await startServer({
      settings: readSettings({}, env),
      serve: readServeSettings({ listen: '127.0.0.1:0' }, env, (p) => readFileSync(p, 'utf8')),
      log: quiet,
      createTransports: defaultTransports,
    });
  });
  afterAll(async () => {
    await s?.close(5000);
    execFileSync('umount', [mnt]);
  });

  /** Writes a file until the filesystem says ENOSPC; returns its path. */
  function fillUp(): string {
    const filler = join(mnt, 'filler');
    const fd = openSync(filler, 'w');
    try {
      for (const size of [256 * 1024, 4096, 512]) {
        const chunk = Buffer.alloc(size, 1);
        for (;;) {
          try {
            writeSync(fd, chunk);
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

  test('webhooks answer 5xx (never 202 for what was not stored), health stays up, and the same alert is stored once space is back', async () => {
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
    expect(accepted).toMatchObject({ jobs: [expect.any(String)], duplicates: [] }); // the failed attempt left no dedup key behind
    const job = await waitFor(() => s.store.getJob(accepted.jobs[0] as string)?.result, 'the job to run');
    expect(job.status).toBe('succeeded');
  });
});
