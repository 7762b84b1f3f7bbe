/**
 * Issue #12 items 5 and 6, "Plugin processes": what RUNE does with the processes a plugin leaves
 * behind, and with a plugin that will not stop, over SSH (a real sshd) and on the local transport.
 *
 * - A plugin that starts a background child holding its stdout: the job ends when the plugin itself
 *   exits; what it left in its process group or session is stopped and named in the Result.
 * - A child that left the plugin's session (setsid) cannot be stopped by the node-side wrapper: the
 *   job still ends when the plugin exits, and the Result says the output was held open.
 * - `rune jobs cancel --force` on a running plugin whose child ignores TERM: the whole tree stops.
 * - A plugin that ignores TERM is KILLed after the grace and is `timed_out` / RUN_TIMEOUT (exit 4).
 * - `become`: what a plugin left as root is stopped as root, and a cancel reaches it through sudo.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../src/server/start-server';
import { tokenLine } from '../helpers/api-tokens';
import { httpCall } from '../helpers/http-call';
import { jsonLines, runCli } from '../helpers/run-cli';
import { startSshd, type TestSshd } from '../helpers/sshd';
import { startTestServer } from '../helpers/test-server';
import { waitFor } from '../helpers/wait-for';

const FAULT_PLUGINS = join(__dirname, '..', 'fixtures', 'fault-plugins');
const API_TOKEN = 'api-token-procs-0123';

let sshd: TestSshd;
let config: string;
/** Every pid a fixture recorded: whatever a failed test left running is ended after it. */
const recorded = new Set<number>();

/** Running, in the /proc sense: a zombie left for a non-reaping PID 1 (containers) has finished. */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The pids a fixture wrote to `pidfile` (plugin first, then its child). */
function pidsIn(pidfile: string): number[] {
  const pids = readFileSync(pidfile, 'utf8').trim().split(' ').map(Number);
  pids.forEach((p) => recorded.add(p));
  return pids;
}

let n = 0;
/** A fresh pidfile path where both the test and the SSH user may write. */
const pidfile = () => join(sshd.shared, `pids-${++n}`);

function env(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: sshd.dir,
    RUNE_CONFIG: config,
    RUNE_PLUGINS_DIR: FAULT_PLUGINS,
    RUNE_SSH_KEY: sshd.userKey,
    RUNE_SSH_KNOWN_HOSTS: sshd.knownHosts,
    RUNE_SSH_USER: sshd.user,
  };
}

beforeAll(async () => {
  sshd = await startSshd({ addresses: ['127.0.0.1'] });
  config = join(sshd.dir, 'rules.yaml');
  writeFileSync(
    config,
    `nodes:\n  - {name: localhost, transport: local}\n  - {name: box, address: 127.0.0.1, port: ${sshd.port}}\n`,
  );
});
afterAll(async () => {
  await sshd?.stop();
});
afterEach(() => {
  for (const pid of recorded) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone, as it should be */
    }
  }
  recorded.clear();
});

const transports = [
  ['local', 'localhost'],
  ['ssh', 'box'],
] as const;

describe.each(transports)('%s transport', (transport, node) => {
  const run = (action: string, params: Record<string, string>, timeout: string) =>
    runCli(
      [
        'run',
        action,
        '--node',
        node,
        '--timeout',
        timeout,
        ...Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`]),
        '--output',
        'json',
      ],
      env(),
    );

  test.each([
    ['in its process group', { how: 'group' }],
    ['in its own process group of the session (job control)', { how: 'own-group' }],
    ['ignoring TERM', { how: 'group', child_ignores_term: 'true' }],
  ])(
    'a background child holding stdout (%s): the job ends with the plugin; the child is stopped and named',
    async (_what, how) => {
      const pf = pidfile();
      // Before: the job ran until the child exited (local) or was cut by RUNE's backstop at
      // timeout + 10 s and reported RUN_TIMEOUT although the plugin had succeeded (SSH).
      const r = await run('background-child', { pidfile: pf, child_seconds: '60', ...how }, '3s');
      const [res] = jsonLines(r.stdout);
      const [, child] = pidsIn(pf) as [number, number];
      expect(res).toMatchObject({ status: 'succeeded', transport, exit_code: 0, error: null, data: { child } });
      expect(r.code).toBe(0);
      expect(res!.duration_ms).toBeLessThan(3000); // the plugin's own time, not the child's 60 s
      // Stopped before the Result came back, and said so: which process, where a responder reads it.
      expect(isRunning(child)).toBe(false);
      const warning = `the plugin left 1 process running after it exited; RUNE stopped it: ${child} sleep`;
      expect(res!.summary).toBe(`started a background child (warning: ${warning})`);
      expect(res!.data.rune_warnings).toEqual([warning]);
    },
  );

  test('a child that left the session (setsid) keeps stdout open: the job still ends, and says so', async () => {
    const pf = pidfile();
    const r = await run('background-child', { pidfile: pf, child_seconds: '60', how: 'session' }, '3s');
    const [res] = jsonLines(r.stdout);
    const [, child] = pidsIn(pf) as [number, number];
    expect(res).toMatchObject({ status: 'succeeded', exit_code: 0, data: { child } });
    expect(res!.duration_ms).toBeLessThan(5000);
    // Out of the wrapper's reach (its own session): RUNE cannot name it, only say what it saw.
    expect(isRunning(child)).toBe(true);
    expect(res!.data.rune_warnings).toEqual([
      'the output stayed open after the plugin exited: a process outside its session still holds it ' +
        '(started with setsid or as a daemon?) and may still be running on the node',
    ]);
  });

  test('a plugin that ignores TERM is KILLed after the grace: timed_out, RUN_TIMEOUT, exit 4', async () => {
    const pf = pidfile();
    const started = Date.now();
    const r = await run('ignores-term', { pidfile: pf }, '1s');
    const [res] = jsonLines(r.stdout);
    expect(res).toMatchObject({
      status: 'timed_out',
      error: {
        code: 'RUN_TIMEOUT',
        stage: 'plugin',
        message: `ignores-term on ${node} ran past its 1s timeout and was killed`,
      },
    });
    expect(r.code).toBe(4);
    expect(Date.now() - started).toBeLessThan(1000 + 5000 + 3000); // timeout + kill grace, not the backstop
    expect(isRunning(pidsIn(pf)[0] as number)).toBe(false);
  }, 20_000);
});

describe('rune jobs cancel --force on a running plugin whose child ignores TERM', () => {
  let s: RunningServer;
  beforeAll(async () => {
    writeFileSync(join(sshd.dir, 'tokens'), tokenLine('ops', 'admin', API_TOKEN));
    s = await startTestServer({
      dir: sshd.dir,
      name: 'cancel',
      config: readFileSync(config, 'utf8'),
      plugins: FAULT_PLUGINS,
      env: { ...(env() as Record<string, string>), RUNE_API_TOKENS_FILE: join(sshd.dir, 'tokens') },
    });
  });
  afterAll(async () => {
    await s?.close(5000);
  });

  test.each(transports)('%s: answers 202 and stops the whole tree; the job ends cancelled', async (_t, node) => {
    const pf = pidfile();
    const params = { pidfile: pf, plugin_seconds: '60', child_seconds: '60', child_ignores_term: true };
    const created = await httpCall(s.url, 'POST', '/api/v1/jobs', {
      token: API_TOKEN,
      body: { action: 'background-child', node, params },
    });
    expect(created.status).toBe(202);
    const id = created.body.job_id as string;
    await waitFor(() => existsSync(pf) && s.store.getJob(id)?.status === 'running', 'the plugin to start');
    const pids = pidsIn(pf);
    expect(pids.every(isRunning)).toBe(true);

    const cancelled = Date.now();
    const cli = await runCli(
      ['jobs', 'cancel', id, '--force', '--server', s.url, '--token', API_TOKEN, '--output', 'json'],
      env(),
    );
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ status: 'cancelling', job_id: id });
    // Before: the child, ignoring TERM, kept stdout open: the job stayed running (local) or was cut
    // 10 s later with the child still running (SSH).
    const job = await waitFor(() => {
      const j = s.store.getJob(id);
      return j && j.status !== 'running' ? j : null;
    }, 'the job to end');
    expect(job.status).toBe('cancelled');
    expect(Date.now() - cancelled).toBeLessThan(5000);
    expect(pids.filter(isRunning)).toEqual([]);
    expect(job.result?.data.rune_warnings).toEqual([
      `the plugin left 1 process running after it exited; RUNE stopped it: ${pids[1]} sleep`,
    ]);
  });
});

describe('become: true, through sudo -n for the SSH user', () => {
  // Only the runs staged under this file's sshd may sudo (its own remote TMPDIR is in the rule), so
  // a test elsewhere that expects sudo to be refused is not affected.
  const sudoers = '/etc/sudoers.d/rune-test-procs';
  beforeAll(() => {
    writeFileSync(sudoers, `${sshd.user} ALL=(root) NOPASSWD: /bin/sh -c * rune-plugin ${sshd.remoteTmp}/rune.*\n`, {
      mode: 0o440,
    });
  });
  afterAll(() => rmSync(sudoers, { force: true }));

  test.each(transports)('%s: what the plugin left as root is stopped and named', async (transport, node) => {
    const pf = pidfile();
    const r = await runCli(
      ['run', 'root-background-child', '--node', node, '--param', `pidfile=${pf}`, '--output', 'json'],
      env(),
    );
    const [res] = jsonLines(r.stdout);
    const [, child] = pidsIn(pf) as [number, number];
    expect(res).toMatchObject({ status: 'succeeded', transport, data: { child, user: 'root' } });
    expect(res!.duration_ms).toBeLessThan(4000);
    expect(isRunning(child)).toBe(false);
    expect(res!.data.rune_warnings).toEqual([
      `the plugin left 1 process running after it exited; RUNE stopped it: ${child} sleep`,
    ]);
  });

  test('ssh: a cancel reaches the root plugin through sudo and stops its whole tree', async () => {
    const { createSshTransport } = await import('../../src/transports/ssh-transport');
    const { loadRegistry } = await import('../../src/plugins/load-registry');
    const plugin = loadRegistry(FAULT_PLUGINS).plugins.get('root-background-child')!;
    const t = createSshTransport({ keyPath: sshd.userKey, knownHostsPath: sshd.knownHosts });
    const target = {
      node: 'box',
      transport: 'ssh' as const,
      address: '127.0.0.1',
      port: sshd.port,
      user: sshd.user,
      connectTimeoutMs: 5000,
    };
    const pf = pidfile();
    const controller = new AbortController();
    try {
      const running = t.exec({
        target,
        plugin,
        script: readFileSync(plugin.path),
        payload: JSON.stringify({ contract: 'rune.plugin/v1', params: { pidfile: pf, plugin_seconds: '60' } }),
        timeoutMs: 60_000,
        signal: controller.signal,
      });
      await waitFor(() => existsSync(pf), 'the plugin to write its pids');
      const pids = pidsIn(pf);
      const cancelled = Date.now();
      controller.abort('cancelled: by ops');
      const o = await running;
      expect(o.cancelled).toBe('cancelled: by ops');
      expect(Date.now() - cancelled).toBeLessThan(5000);
      expect(pids.filter(isRunning)).toEqual([]);
      expect(o.stderrTail).toContain(`RUNE stopped it: ${pids[1]} sleep`);
    } finally {
      await t.close();
    }
  });
});
