import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startSilentListener, startSshd, type TestSshd } from '../../helpers/sshd';
import { jsonLines, runCli } from '../../helpers/run-cli';
import { waitFor } from '../../helpers/wait-for';
import { defaultTransports } from '../../../src/cli/default-transports';
import type { Transport } from '../../../src/transports/transport';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'plugins');
const NODES = Array.from({ length: 20 }, (_, i) => `127.0.0.${i + 2}`);

let sshd: TestSshd;
let config: string;

function envFor(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: sshd.dir,
    RUNE_CONFIG: config,
    RUNE_PLUGINS_DIR: FIXTURES,
    RUNE_SSH_KEY: sshd.userKey,
    RUNE_SSH_KNOWN_HOSTS: sshd.knownHosts,
    RUNE_SSH_USER: sshd.user,
    ...overrides,
  };
}

/** Running, in the /proc sense: a zombie left for a non-reaping PID 1 (containers) has finished. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

function remoteTmpEntries(): string[] {
  return readdirSync(sshd.remoteTmp);
}

beforeAll(async () => {
  sshd = await startSshd({ addresses: ['127.0.0.1', ...NODES] });
  config = join(sshd.dir, 'rules.yaml');
  const nodes = [
    `  - {name: node-a, address: 127.0.0.1, port: ${sshd.port}}`,
    ...NODES.map((a, i) => `  - {name: fleet-${i + 1}, address: ${a}, port: ${sshd.port}}`),
  ];
  writeFileSync(config, `defaults: {connect_timeout: 5s}\nnodes:\n${nodes.join('\n')}\n`);
});

afterAll(async () => {
  await sshd?.stop();
});

test('a run over SSH succeeds: payload arrives on stdin, the temp file is gone afterwards', async () => {
  const r = await runCli(
    ['run', 'echo', '--node', 'node-a', '--param', 'message=hi there', '--output', 'json'],
    envFor(),
  );
  expect(r.code).toBe(0);
  const [res] = jsonLines(r.stdout);
  expect(res).toMatchObject({
    status: 'succeeded',
    node: 'node-a',
    transport: 'ssh',
    action: 'echo',
    action_version: '1.0.0',
    exit_code: 0,
    summary: 'echo hi there',
    error: null,
    truncated: false,
  });
  expect(res!.data.input).toMatchObject({
    contract: 'rune.plugin/v1',
    action: 'echo',
    node: 'node-a',
    dry_run: false,
    params: { message: 'hi there' },
    job_id: res!.job_id,
    trace_id: res!.trace_id,
    alert: null,
  });
  expect(res!.data.user).toBe(sshd.user);
  expect(res!.data.self).toMatch(new RegExp(`^${sshd.remoteTmp}/rune\\.[A-Za-z0-9]+/plugin$`));
  expect(existsSync(res!.data.self)).toBe(false);
  expect(remoteTmpEntries()).toEqual([]);
});

test('a node whose host key is not in known_hosts is refused with HOST_KEY_UNKNOWN (exit 3)', async () => {
  const empty = sshd.writeKnownHosts('kh-empty', ['# nothing here']);
  const r = await runCli(
    ['run', 'echo', '--node', 'node-a', '--output', 'json'],
    envFor({ RUNE_SSH_KNOWN_HOSTS: empty }),
  );
  expect(r.code).toBe(3);
  const [res] = jsonLines(r.stdout);
  expect(res!.error).toMatchObject({ code: 'HOST_KEY_UNKNOWN', stage: 'transport' });
  const fp = execFileSync('ssh-keygen', ['-l', '-f', join(sshd.dir, 'host_ed25519.pub')])
    .toString()
    .split(' ')[1];
  expect(res!.error.message).toContain(fp);
  expect(res!.error.message).toContain('ssh-keyscan');
});

test('a changed host key is refused with HOST_KEY_MISMATCH (exit 3)', async () => {
  const otherPub = readFileSync(`${sshd.wrongKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
  const changed = sshd.writeKnownHosts('kh-changed', [`[127.0.0.1]:${sshd.port} ${otherPub}`]);
  const r = await runCli(
    ['run', 'echo', '--node', 'node-a', '--output', 'json'],
    envFor({ RUNE_SSH_KNOWN_HOSTS: changed }),
  );
  expect(r.code).toBe(3);
  expect(jsonLines(r.stdout)[0]!.error).toMatchObject({ code: 'HOST_KEY_MISMATCH', stage: 'transport' });
});

test('hashed known_hosts entries (ssh-keygen -H) are understood', async () => {
  const hashed = sshd.writeKnownHosts('kh-hashed', [`[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}`]);
  execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
  expect(readFileSync(hashed, 'utf8')).toMatch(/^\|1\|/);
  const r = await runCli(
    ['run', 'echo', '--node', 'node-a', '--output', 'json'],
    envFor({ RUNE_SSH_KNOWN_HOSTS: hashed }),
  );
  expect(r.code).toBe(0);
});

test('a key the node does not accept gives SSH_AUTH_FAILED (exit 3)', async () => {
  const r = await runCli(
    ['run', 'echo', '--node', 'node-a', '--output', 'json'],
    envFor({ RUNE_SSH_KEY: sshd.wrongKey }),
  );
  expect(r.code).toBe(3);
  const [res] = jsonLines(r.stdout);
  expect(res!.error).toMatchObject({ code: 'SSH_AUTH_FAILED', stage: 'transport' });
  expect(res!.error.message).toContain(`${sshd.user}@127.0.0.1:${sshd.port}`);
});

test('connection refused gives CONNECT_REFUSED with a clear message (exit 3)', async () => {
  const closed = await freePort();
  const cfg = join(sshd.dir, 'refused.yaml');
  writeFileSync(cfg, `nodes:\n  - {name: dead-1, address: 127.0.0.1, port: ${closed}}\n`);
  const r = await runCli(['run', 'echo', '--node', 'dead-1'], envFor({ RUNE_CONFIG: cfg }));
  expect(r.code).toBe(3);
  expect(r.stdout).toContain('CONNECT_REFUSED');
  expect(r.stdout).toContain(`connection refused by 127.0.0.1:${closed} (is sshd running there?)`);
});

test('no credentials at all is a configuration error (exit 2) before any connection', async () => {
  const r = await runCli(
    ['run', 'echo', '--node', 'node-a', '--output', 'json'],
    envFor({ RUNE_SSH_KEY: '', SSH_AUTH_SOCK: '' }),
  );
  expect(r.code).toBe(2);
  expect(jsonLines(r.stdout)[0]!.error.code).toBe('SSH_NO_CREDENTIALS');
});

test('a plugin past its timeout is killed on the node: RUN_TIMEOUT (exit 4), process gone, no temp file', async () => {
  const pidfile = join(sshd.shared, 'forever.pid');
  const started = Date.now();
  const r = await runCli(
    ['run', 'forever', '--node', 'node-a', '--timeout', '1s', '--param', `pidfile=${pidfile}`, '--output', 'json'],
    envFor(),
  );
  expect(r.code).toBe(4);
  const [res] = jsonLines(r.stdout);
  expect(res).toMatchObject({ status: 'timed_out', error: { code: 'RUN_TIMEOUT', stage: 'plugin' } });
  expect(Date.now() - started).toBeLessThan(8000);
  const pids = readFileSync(pidfile, 'utf8').trim().split(' ').map(Number);
  expect(pids).toHaveLength(2);
  // Plugin and its child are gone (the kill on the node lands a moment after the outcome comes back).
  await waitFor(
    () => !pids.some(isRunning),
    () => `pids ${pids.filter(isRunning)} to be gone`,
    5000,
  );
  expect(remoteTmpEntries()).toEqual([]);
});

test('a plugin printing garbage gives PLUGIN_BAD_OUTPUT carrying the stdout and stderr tails', async () => {
  const r = await runCli(['run', 'garbage', '--node', 'node-a', '--output', 'json'], envFor());
  expect(r.code).toBe(1);
  const [res] = jsonLines(r.stdout);
  expect(res).toMatchObject({ status: 'failed', error: { code: 'PLUGIN_BAD_OUTPUT', stage: 'plugin' } });
  expect(res!.stdout_tail).toContain('this is not json');
  expect(res!.stderr_tail).toContain('and neither is this');
});

test('5 MiB of stderr is capped and flagged truncated; the result still parses', async () => {
  const before = process.memoryUsage().rss;
  const r = await runCli(['run', 'flood', '--node', 'node-a', '--param', 'mib=5', '--output', 'json'], envFor());
  expect(r.code).toBe(0);
  const [res] = jsonLines(r.stdout);
  expect(res).toMatchObject({ status: 'succeeded', truncated: true, summary: 'flooded stderr' });
  expect(res!.stderr_tail.length).toBeLessThanOrEqual(4096);
  expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
});

test('5 MiB of stdout is capped: PLUGIN_BAD_OUTPUT with truncated set', async () => {
  const r = await runCli(
    ['run', 'flood', '--node', 'node-a', '--param', 'stream=stdout', '--output', 'json'],
    envFor(),
  );
  expect(r.code).toBe(1);
  const [res] = jsonLines(r.stdout);
  expect(res).toMatchObject({
    status: 'failed',
    truncated: true,
    error: { code: 'PLUGIN_BAD_OUTPUT', details: { truncated: true } },
  });
  expect(res!.error.message).toContain('cut at the output cap');
});

test('a hostile param value stays data: nothing is executed from it', async () => {
  const marker = join(sshd.shared, `pwned-${process.pid}`);
  const hostile = `x"; touch ${marker}; "`;
  const hostile2 = `$(touch ${marker}) \`touch ${marker}\` ' ; touch ${marker}`;
  for (const value of [hostile, hostile2]) {
    const r = await runCli(
      ['run', 'echo', '--node', 'node-a', '--param', `message=${value}`, '--output', 'json'],
      envFor(),
    );
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)[0]!.data.input.params.message).toBe(value);
  }
  expect(existsSync(marker)).toBe(false);
});

test('a plugin reporting an error the contract way is PLUGIN_FAILED (exit 1) with its own code kept', async () => {
  const r = await runCli(['run', 'fail', '--node', 'node-a', '--output', 'json'], envFor());
  expect(r.code).toBe(1);
  const [res] = jsonLines(r.stdout);
  expect(res).toMatchObject({
    status: 'failed',
    exit_code: 1,
    summary: 'widget is broken',
    error: {
      code: 'PLUGIN_FAILED',
      message: 'the widget did not answer',
      details: { plugin_error: { code: 'WIDGET_BROKEN' } },
    },
  });
  expect(res!.stderr_tail).toContain('checking the widget');
});

test('a plugin whose interpreter is missing on the node gives PLUGIN_NOT_RUNNABLE', async () => {
  const r = await runCli(['run', 'no-interpreter', '--node', 'node-a', '--output', 'json'], envFor());
  expect(r.code).toBe(1);
  const [res] = jsonLines(r.stdout);
  expect(res!.error.code).toBe('PLUGIN_NOT_RUNNABLE');
  expect(res!.error.message).toContain('interpreter');
});

test('20 nodes at once (distinct 127.0.0.x addresses to one sshd) all succeed, progress on a TTY', async () => {
  const args = ['run', 'echo', ...NODES.flatMap((_, i) => ['--node', `fleet-${i + 1}`]), '--output', 'json'];
  const r = await runCli(args, envFor(), { tty: true });
  expect(r.code).toBe(0);
  const results = jsonLines(r.stdout);
  expect(results.map((x) => x.node)).toEqual(NODES.map((_, i) => `fleet-${i + 1}`));
  expect(results.every((x) => x.status === 'succeeded')).toBe(true);
  expect(new Set(results.map((x) => x.job_id)).size).toBe(20);
  expect(r.stderr.match(/^\[\s*\d+\/20\] fleet-\d+ succeeded/gm)).toHaveLength(20);
  expect(remoteTmpEntries()).toEqual([]);
});

test('piped output carries no progress lines', async () => {
  const r = await runCli(['run', 'echo', '--node', 'fleet-1', '--node', 'fleet-2'], envFor(), { tty: false });
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
});

test('--dry-run opens no connection and prints the plan', async () => {
  let execs = 0;
  const r = await runCli(['run', 'echo', '--node', 'node-a', '--dry-run', '--output', 'json'], envFor(), {
    deps: {
      createTransports: (s) => {
        const real = defaultTransports(s);
        const count = (t: Transport): Transport => ({
          kind: t.kind,
          close: () => t.close(),
          exec: (req) => ((execs += 1), t.exec(req)),
        });
        return { ssh: count(real.ssh!), local: count(real.local!) };
      },
    },
  });
  expect(r.code).toBe(0);
  expect(execs).toBe(0);
  const [res] = jsonLines(r.stdout);
  expect(res).toMatchObject({ status: 'succeeded', dry_run: true, transport: 'ssh', exit_code: null });
  expect(res!.data.plan.target).toMatchObject({ address: '127.0.0.1', port: sshd.port, user: sshd.user });
  expect(res!.data.plan.payload).toMatchObject({ contract: 'rune.plugin/v1', params: { message: 'hello' } });
});

test('connections are reused across runs to one node', async () => {
  const { createSshTransport } = await import('../../../src/transports/ssh-transport');
  const t = createSshTransport({ keyPath: sshd.userKey, knownHostsPath: sshd.knownHosts });
  const { loadRegistry } = await import('../../../src/plugins/load-registry');
  const plugin = loadRegistry(FIXTURES).plugins.get('echo')!;
  const script = readFileSync(plugin.path);
  const target = {
    node: 'node-a',
    transport: 'ssh' as const,
    address: '127.0.0.1',
    port: sshd.port,
    user: sshd.user,
    connectTimeoutMs: 5000,
  };
  const payload = JSON.stringify({ contract: 'rune.plugin/v1', params: { message: 'x' } });
  const sessions = () =>
    execFileSync('sh', ['-c', `ps -eo args | grep -c '^sshd: ${sshd.user}@notty' || true`])
      .toString()
      .trim();
  for (let i = 0; i < 5; i++) {
    const o = await t.exec({ target, plugin, script, payload, timeoutMs: 10_000 });
    expect(o.exitCode).toBe(0);
  }
  expect(t.poolSize()).toBe(1);
  expect(Number(sessions())).toBeGreaterThanOrEqual(1);
  await t.close();
  expect(t.poolSize()).toBe(0);
});

test('an aborted run stops on the node: TERM reaches the plugin, cancelled with the reason, nothing left', async () => {
  const { createSshTransport } = await import('../../../src/transports/ssh-transport');
  const { loadRegistry } = await import('../../../src/plugins/load-registry');
  const t = createSshTransport({ keyPath: sshd.userKey, knownHostsPath: sshd.knownHosts });
  const plugin = loadRegistry(FIXTURES).plugins.get('forever')!;
  const pidfile = join(sshd.shared, 'cancel.pid');
  rmSync(pidfile, { force: true });
  const target = {
    node: 'node-a',
    transport: 'ssh' as const,
    address: '127.0.0.1',
    port: sshd.port,
    user: sshd.user,
    connectTimeoutMs: 5000,
  };
  const controller = new AbortController();
  const started = Date.now();
  try {
    const running = t.exec({
      target,
      plugin,
      script: readFileSync(plugin.path),
      payload: JSON.stringify({ contract: 'rune.plugin/v1', params: { pidfile } }),
      timeoutMs: 60_000,
      signal: controller.signal,
    });
    await waitFor(() => existsSync(pidfile), 'the plugin to write its pids', 5000);
    const pids = readFileSync(pidfile, 'utf8').trim().split(' ').map(Number);
    expect(pids.every(isRunning)).toBe(true);
    controller.abort('resolved: alert fp1 resolved');
    const o = await running;
    expect(o.cancelled).toBe('resolved: alert fp1 resolved');
    expect(o.timedOut).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000); // not the 60 s timeout, nor the kill grace
    await waitFor(
      () => !pids.some(isRunning),
      () => `pids ${pids.filter(isRunning)} to be gone`,
      5000,
    );
    expect(remoteTmpEntries()).toEqual([]);
    // The connection survives a cancel: the next run on it works.
    const echo = loadRegistry(FIXTURES).plugins.get('echo')!;
    const next = await t.exec({
      target,
      plugin: echo,
      script: readFileSync(echo.path),
      payload: JSON.stringify({ contract: 'rune.plugin/v1', params: { message: 'x' } }),
      timeoutMs: 10_000,
    });
    expect(next.exitCode).toBe(0);
    expect(t.poolSize()).toBe(1);
  } finally {
    await t.close();
  }
});

describe('become: true', () => {
  const sudoers = '/etc/sudoers.d/rune-test-become';
  afterEach(() => rmSync(sudoers, { force: true }));

  test('without sudo rights the run fails with BECOME_FAILED and a hint', async () => {
    const r = await runCli(['run', 'whoami-become', '--node', 'node-a', '--output', 'json'], envFor());
    expect(r.code).toBe(1);
    const [res] = jsonLines(r.stdout);
    expect(res!.error).toMatchObject({ code: 'BECOME_FAILED', stage: 'transport' });
    expect(res!.error.message).toContain('passwordless sudo');
  });

  test('with passwordless sudo the plugin runs as root through sudo -n', async () => {
    writeFileSync(sudoers, `${sshd.user} ALL=(root) NOPASSWD: ALL\n`, { mode: 0o440 });
    const r = await runCli(['run', 'whoami-become', '--node', 'node-a', '--output', 'json'], envFor());
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)[0]!.data.user).toBe('root');
    expect(remoteTmpEntries()).toEqual([]);
  });
});

test('a node that accepts TCP but never speaks SSH gives CONNECT_TIMEOUT (exit 3) within connect_timeout', async () => {
  const silent = await startSilentListener();
  const cfg = join(sshd.dir, 'silent.yaml');
  writeFileSync(cfg, `nodes:\n  - {name: silent-1, address: 127.0.0.1, port: ${silent.port}, connect_timeout: 1s}\n`);
  const started = Date.now();
  try {
    const r = await runCli(['run', 'echo', '--node', 'silent-1', '--output', 'json'], envFor({ RUNE_CONFIG: cfg }));
    expect(r.code).toBe(3);
    expect(jsonLines(r.stdout)[0]!.error).toMatchObject({ code: 'CONNECT_TIMEOUT', retryable: true });
    expect(Date.now() - started).toBeLessThan(5000);
  } finally {
    await silent.close();
  }
});

describe('jump host (ProxyJump, one hop)', () => {
  let jump: TestSshd;
  let jumpConfig: string;
  let bothKnown: string;

  beforeAll(async () => {
    // The bastion lets its users open tunnels to fleet-1's address only.
    jump = await startSshd({
      addresses: ['127.0.0.1'],
      alsoAccept: sshd.userKey,
      extraConfig: ['AllowTcpForwarding yes', `PermitOpen ${NODES[0]}:${sshd.port}`],
    });
    bothKnown = sshd.writeKnownHosts('kh-with-jump', [
      readFileSync(sshd.knownHosts, 'utf8').trim(),
      `[127.0.0.1]:${jump.port} ${jump.hostKeyLine}`,
    ]);
    jumpConfig = join(sshd.dir, 'jump.yaml');
    writeFileSync(
      jumpConfig,
      [
        'defaults: {connect_timeout: 5s}',
        'nodes:',
        `  - {name: behind-1, address: ${NODES[0]}, port: ${sshd.port}, jump: "${sshd.user}@127.0.0.1:${jump.port}"}`,
        `  - {name: behind-2, address: ${NODES[1]}, port: ${sshd.port}, jump: "127.0.0.1:${jump.port}"}`,
        `  - {name: via-dead, address: ${NODES[0]}, port: ${sshd.port}, jump: "127.0.0.1:${await freePort()}"}`,
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await jump?.stop();
  });

  test('a node behind a jump host runs through it', async () => {
    const r = await runCli(
      ['run', 'echo', '--node', 'behind-1', '--output', 'json'],
      envFor({ RUNE_CONFIG: jumpConfig, RUNE_SSH_KNOWN_HOSTS: bothKnown }),
    );
    expect(r.code).toBe(0);
    const [res] = jsonLines(r.stdout);
    expect(res).toMatchObject({ status: 'succeeded', node: 'behind-1', transport: 'ssh' });
    expect(res!.data.user).toBe(sshd.user);
    expect(remoteTmpEntries()).toEqual([]);
  });

  test('the tunnel really goes through the jump host: a destination it does not permit is refused there', async () => {
    const r = await runCli(
      ['run', 'echo', '--node', 'behind-2', '--output', 'json'],
      envFor({ RUNE_CONFIG: jumpConfig, RUNE_SSH_KNOWN_HOSTS: bothKnown }),
    );
    expect(r.code).toBe(3);
    const [res] = jsonLines(r.stdout);
    expect(res!.error).toMatchObject({ code: 'NODE_UNREACHABLE', stage: 'transport' });
    expect(res!.error.message).toContain(
      `jump host 127.0.0.1:${jump.port} could not open a connection to ${NODES[1]}:${sshd.port}`,
    );
  });

  test("the jump host's own key is verified: not in known_hosts gives HOST_KEY_UNKNOWN naming it", async () => {
    const r = await runCli(
      ['run', 'echo', '--node', 'behind-1', '--output', 'json'],
      envFor({ RUNE_CONFIG: jumpConfig }),
    );
    expect(r.code).toBe(3);
    const [res] = jsonLines(r.stdout);
    expect(res!.error.code).toBe('HOST_KEY_UNKNOWN');
    expect(res!.error.message).toContain(`behind-1 via jump host 127.0.0.1 ([127.0.0.1]:${jump.port})`);
  });

  test('a jump host that is down gives CONNECT_REFUSED naming it', async () => {
    const r = await runCli(
      ['run', 'echo', '--node', 'via-dead', '--output', 'json'],
      envFor({ RUNE_CONFIG: jumpConfig, RUNE_SSH_KNOWN_HOSTS: bothKnown }),
    );
    expect(r.code).toBe(3);
    const [res] = jsonLines(r.stdout);
    expect(res!.error.code).toBe('CONNECT_REFUSED');
    expect(res!.error.message).toContain('via-dead via jump host 127.0.0.1: connection refused by 127.0.0.1:');
  });
});
