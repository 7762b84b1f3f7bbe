/**
 * What the CLI prints for people: dry runs of every core plugin (a RUNE dry run and the plugin's own
 * with --on-node), `rune guards` as text, aligned tables, durations as rules.yaml writes them.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatGuardsText, guardsCommand } from '../../../src/cli/guards-commands';
import { formatTable } from '../../../src/cli/format-table';
import { tokenLine } from '../../helpers/api-tokens';
import { LOCAL_NODES, startTestServer, writeTestPlugins } from '../../helpers/test-server';
import { jsonLines, runCli } from '../../helpers/run-cli';

const ROOT = join(__dirname, '..', '..', '..');
const CORE_PLUGINS = join(ROOT, 'plugins');
const SHIMS = join(ROOT, 'test', 'fixtures', 'shims');
const dir = mkdtempSync(join(tmpdir(), 'rune-cli-text-'));
const config = join(dir, 'rules.yaml');
writeFileSync(config, 'nodes:\n  - name: localhost\n');
const env = { HOME: dir, RUNE_CONFIG: config, RUNE_PLUGINS_DIR: CORE_PLUGINS, RUNE_SSH_USER: 'tester' };

// A local plugin gets PATH and TMPDIR from RUNE's own environment (src/transports/local-transport.ts):
// the fakes of docker, systemctl, journalctl … (test/fixtures/shims) come first, their state in `dir`.
const saved = { PATH: process.env.PATH, TMPDIR: process.env.TMPDIR };
beforeAll(() => {
  process.env.PATH = `${SHIMS}:/usr/bin:/bin`;
  process.env.TMPDIR = dir;
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(dir, { recursive: true, force: true });
});

const corePlugins = readdirSync(CORE_PLUGINS)
  .filter((f) => /\.(sh|py)$/.test(f))
  .map((f) => f.replace(/\.(sh|py)$/, ''));

test('there are core plugins to test', () => {
  expect(corePlugins).toEqual(expect.arrayContaining(['noop', 'gather-logs', 'restart-docker', 'disk-usage']));
});

describe.each(corePlugins)('%s', (name) => {
  test('--dry-run prints the input a real run would give the plugin, and says nothing ran', async () => {
    const r = await runCli(['run', name, '--node', 'localhost', '--dry-run'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^ok   localhost  ${name} \\S+  succeeded  \\S+  dry run: would run `));
    const intro = /^ {5}nothing ran \(--dry-run\)\. A real run \(timeout \w+, (read-only|mutating)[^)]*\) would give/m;
    expect(r.stdout).toMatch(intro);
    // The indented JSON below is exactly the payload of the Result's plan.
    const block = r.stdout.slice(r.stdout.indexOf('stdin:\n') + 7, r.stdout.indexOf('\n     job '));
    const json = await runCli(['run', name, '--node', 'localhost', '--dry-run', '-o', 'json'], env);
    const printed = JSON.parse(block) as Record<string, unknown>;
    const plan = jsonLines(json.stdout)[0]!.data.plan;
    expect(Object.keys(printed)).toEqual(Object.keys(plan.payload));
    expect(printed).toMatchObject({
      contract: 'rune.plugin/v1',
      action: name,
      dry_run: false,
      params: plan.payload.params,
    });
  });

  test('--dry-run --on-node prints what the plugin said, and that it changed nothing', async () => {
    const r = await runCli(['run', name, '--node', 'localhost', '--dry-run', '--on-node'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^ok   localhost  ${name} \\S+  succeeded  `));
    expect(r.stdout).toContain('\n     the plugin ran with "dry_run": true and changed nothing');
    expect(r.stdout).not.toContain('nothing ran (--dry-run)');
  });
});

test('--on-node lists what a plugin would do (data.would)', async () => {
  const r = await runCli(['run', 'restart-docker', '--node', 'localhost', '--dry-run', '--on-node'], env);
  expect(r.stdout).toContain('changed nothing; it would:\n       systemctl restart docker\n');
});

test('the table formatter pads every column but the last, two spaces apart', () => {
  expect(
    formatTable(
      [
        ['a', 'bbb', 'c'],
        ['dddd', 'e', ''],
      ],
      ['X', 'Y', 'Z'],
    ),
  ).toBe('X     Y    Z\na     bbb  c\ndddd  e\n');
  expect(formatTable([])).toBe('');
});

test('tokens list aligns its columns however long the names and scopes are', async () => {
  const file = join(dir, 'tokens');
  writeFileSync(
    file,
    tokenLine('alice', 'admin', 't1') +
      tokenLine('pagerduty-extension', 'operator', 't2', { actions: ['restart-docker', 'noop'], nodes: ['web-*'] }) +
      tokenLine('ci', 'viewer', 't3'),
  );
  const r = await runCli(['tokens', 'list', '--file', file], {});
  expect(r.code).toBe(0);
  const [header, ...rows] = r.stdout.trimEnd().split('\n');
  expect(rows).toHaveLength(3);
  for (const col of ['ROLE', 'ACTIONS', 'NODES']) {
    const at = header!.indexOf(col);
    for (const row of rows) expect(row[at - 1]).toBe(' ');
    for (const row of rows) expect(row[at]).not.toBe(' ');
  }
  expect(rows[1]).toMatch(/^pagerduty-extension {2}operator {2}restart-docker,noop {2}web-\*$/);
});

test('rune guards prints text (json with --output json) from a running server', async () => {
  const tokens = join(dir, 'guard-tokens');
  writeFileSync(tokens, tokenLine('alice', 'admin', 'admin-token'));
  const s = await startTestServer({
    dir,
    name: 'guards',
    config: `${LOCAL_NODES}rules: []\n`,
    plugins: writeTestPlugins(dir),
    env: { RUNE_API_TOKENS_FILE: tokens },
    dryRun: true,
  });
  try {
    const cliEnv = { RUNE_TOKEN: 'admin-token' };
    expect((await runCli(['pause', '--server', s.url, '--reason', 'db migration'], cliEnv)).code).toBe(0);
    const text = await runCli(['guards', '--server', s.url], cliEnv);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^automatic runs are PAUSED since \S+ by alice \(db migration\)\n/);
    expect(text.stdout).toContain('every circuit breaker is closed');
    expect(text.stdout).toContain('runs suppressed since the server started: none\n');
    const json = await runCli(['guards', '--server', s.url, '-o', 'json'], cliEnv);
    expect(JSON.parse(json.stdout)).toMatchObject({ paused: { by: 'alice', reason: 'db migration' }, breakers: [] });
  } finally {
    await s.close(5000);
  }
});

test('rune guards: a table of breakers with how long ago they opened and when they probe', async () => {
  const now = Date.parse('2024-05-01T10:30:00Z');
  const body = {
    paused: null,
    breakers: [
      {
        rule: 'restart-docker-when-down',
        state: 'open',
        failures: 3,
        opened_at: '2024-05-01T10:00:00.000Z',
        probe_after: '2024-05-01T10:45:00.000Z',
        probe_chain: null,
        last_failure: 'docker did not answer within 60s',
      },
      {
        rule: 'disk',
        state: 'closed',
        failures: 1,
        opened_at: null,
        probe_after: null,
        probe_chain: null,
        last_failure: 'x',
      },
    ],
    counters: { suppressed: { cooldown: 4, budget: 1 }, breaker_opened: { 'restart-docker-when-down': 1 } },
  };
  expect(formatGuardsText(body, now)).toBe(
    [
      'automatic runs are not paused',
      'RULE                      BREAKER  FAILURES  OPENED                              PROBE' +
        '                              LAST FAILURE',
      'restart-docker-when-down  open     3         2024-05-01T10:00:00.000Z (30m ago)' +
        '  2024-05-01T10:45:00.000Z (in 15m)  docker did not answer within 60s',
      'disk                      closed   1         -                                   -' +
        '                                  x',
      'runs suppressed since the server started: budget 1, cooldown 4',
      'breakers opened since the server started: restart-docker-when-down 1',
      '',
    ].join('\n'),
  );
  let out = '';
  const fakeFetch = (async () => new Response(JSON.stringify(body), { status: 200 })) as typeof fetch;
  const io = { stdout: (s: string) => void (out += s), stderr: () => undefined, env: {} };
  expect(await guardsCommand({ output: 'text' }, io, fakeFetch, () => now)).toBe(0);
  expect(out).toBe(formatGuardsText(body, now));
});
