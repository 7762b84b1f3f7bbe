import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { useAwsEnv } from '../../helpers/fake-ssm';
import { jsonLines, runCli } from '../../helpers/run-cli';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';
import { waitFor } from '../../helpers/wait-for';
import { readConfig } from '../../../src/config/read-config';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'plugins');
const dir = makeTempDir('cli');
const config = join(dir, 'rules.yaml');
writeFileSync(
  config,
  'nodes:\n  - name: localhost\n  - name: web-1\n    address: 10.0.1.23\n' +
    '  - name: ec2-1\n    transport: ssm\n    instance_id: i-0123456789abcdef0\n',
);
const env = { PATH: process.env.PATH, HOME: dir, RUNE_CONFIG: config, RUNE_PLUGINS_DIR: FIXTURES };
afterAll(() => removeTempDir(dir));

test('localhost runs through the local transport', async () => {
  const r = await runCli(['run', 'echo', '--node', 'localhost', '--param', 'message=local', '--output', 'json'], env);
  expect(r.code).toBe(0);
  expect(jsonLines(r.stdout)[0]).toMatchObject({
    status: 'succeeded',
    transport: 'local',
    node: 'localhost',
    summary: 'echo local',
    trigger: { kind: 'cli' },
  });
});

test('an unknown action is exit 2 and names what exists', async () => {
  const r = await runCli(['run', 'restart-everything', '--node', 'localhost', '--output', 'json'], env);
  expect(r.code).toBe(2);
  const [res] = jsonLines(r.stdout);
  expect(res!.error).toMatchObject({ code: 'UNKNOWN_ACTION', stage: 'validate' });
  expect(res!.error.message).toMatch(/available: echo, /);
});

test('invalid params are exit 2 with what is wrong', async () => {
  const r = await runCli(['run', 'echo', '--node', 'localhost', '--param', 'colour=red'], env);
  expect(r.code).toBe(2);
  expect(r.stdout).toContain('INVALID_PARAMS');
  expect(r.stdout).toContain('params must NOT have additional properties "colour"');
});

test('an unknown node is exit 2 (UNKNOWN_NODE) and nothing runs', async () => {
  const r = await runCli(['run', 'echo', '--node', 'web-9', '--output', 'json'], env);
  expect(r.code).toBe(2);
  expect(jsonLines(r.stdout)[0]!.error.code).toBe('UNKNOWN_NODE');
});

test('--ssm and ssm nodes: no instance id refused, no region stops before any call, dry run shows it', async () => {
  const noInstance = await runCli(['run', 'echo', '--node', 'web-1', '--ssm', '--output', 'json'], env);
  expect(noInstance.code).toBe(2);
  expect(jsonLines(noInstance.stdout)[0]!.error).toMatchObject({ code: 'SSM_INVALID_INSTANCE', stage: 'validate' });
  expect(jsonLines(noInstance.stdout)[0]!.error.message).toContain('no instance id for the ssm transport');

  // Nothing from the developer's own AWS setup: no region, no profile, no instance metadata.
  const restore = useAwsEnv({
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(dir, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  try {
    for (const args of [
      ['--node', 'ec2-1'],
      ['--node', 'i-0123456789abcdef0', '--ssm'],
    ]) {
      const r = await runCli(['run', 'echo', ...args, '--output', 'json'], env);
      expect(r.code).toBe(2);
      expect(jsonLines(r.stdout)[0]).toMatchObject({
        node: 'ec2-1',
        transport: 'ssm',
        error: { code: 'SSM_NO_REGION', stage: 'dispatch' },
      });
    }
  } finally {
    restore();
  }
  const plan = await runCli(
    ['run', 'echo', '--node', 'ec2-1', '--dry-run', '--max-concurrency', '10%', '--output', 'json'],
    env,
  );
  expect(plan.code).toBe(0);
  expect(jsonLines(plan.stdout)[0]!.data.plan.target).toMatchObject({
    transport: 'ssm',
    instanceId: 'i-0123456789abcdef0',
    ssm: { maxConcurrency: '10%' },
  });
  expect(jsonLines(plan.stdout)[0]!.summary).toBe(
    'dry run: would run echo 1.0.0 on ec2-1 over ssm (instance i-0123456789abcdef0); nothing was contacted',
  );
});

test('--dry-run --on-node runs the plugin with dry_run: true', async () => {
  const r = await runCli(['run', 'echo', '--node', 'localhost', '--dry-run', '--on-node', '--output', 'json'], env);
  expect(r.code).toBe(0);
  const [res] = jsonLines(r.stdout);
  expect(res).toMatchObject({ dry_run: true, exit_code: 0 });
  expect(res!.data.input.dry_run).toBe(true);
});

test('usage errors exit 2: missing --node, bad --timeout, bad output format, --on-node alone', async () => {
  expect((await runCli(['run', 'echo'], env)).code).toBe(2);
  expect((await runCli(['run', 'echo', '--node', 'localhost', '--timeout', 'soon'], env)).code).toBe(2);
  expect((await runCli(['run', 'echo', '--node', 'localhost', '--output', 'xml'], env)).code).toBe(2);
  const r = await runCli(['run', 'echo', '--node', 'localhost', '--on-node'], env);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--on-node only makes sense with --dry-run');
});

test('an invalid rules file is exit 2 with file:line', async () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'nodes:\n  - name: a\n    prot: 22\n');
  const r = await runCli(['run', 'echo', '--node', 'a'], { ...env, RUNE_CONFIG: bad });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`${bad}:3: nodes[0]: must NOT have additional properties (unknown key "prot")`);
  const check = await runCli(['rules', 'check', bad], env);
  expect(check.code).toBe(2);
  expect(check.stderr).toContain('1 problem(s)');
  expect((await runCli(['rules', 'check', config], env)).code).toBe(0);
});

test('a named config that does not exist is an error; an absent default path gives the embedded defaults', async () => {
  const r = await runCli(['run', 'echo', '--node', 'localhost'], { ...env, RUNE_CONFIG: join(dir, 'missing.yaml') });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('cannot read config');
  const embedded = readConfig(join(dir, 'absent-default.yaml'), false);
  expect(embedded.source).toBe('<embedded defaults>');
  expect(embedded.nodes).toEqual([{ name: 'localhost', transport: 'local' }]);
});

test('text output names status, summary, error code and stderr tail; yaml output parses', async () => {
  const r = await runCli(['run', 'fail', '--node', 'localhost'], env);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/^FAIL localhost {2}fail 1\.0\.0 {2}failed/);
  expect(r.stdout).toContain('error PLUGIN_FAILED (stage plugin): the widget did not answer');
  expect(r.stdout).toContain('checking the widget');
  const y = await runCli(['run', 'echo', '--node', 'localhost', '--output', 'yaml'], env);
  expect(y.code).toBe(0);
  expect((parseYaml(y.stdout) as { status: string }).status).toBe('succeeded');
});

test('several nodes: exit code is the most actionable class (2 before 1 before 0)', async () => {
  const r = await runCli(['run', 'echo', '--node', 'localhost', '--node', 'nowhere', '--output', 'json'], env);
  expect(r.code).toBe(2);
  expect(jsonLines(r.stdout).map((x) => x.status)).toEqual(['succeeded', 'failed']);
});

test('actions lists plugins with version, kind, timeout and params; broken files exit 2 hiding nothing', async () => {
  const r = await runCli(['actions', '--output', 'json'], env);
  expect(r.code).toBe(0);
  const names = (JSON.parse(r.stdout) as { actions: { name: string }[] }).actions.map((a) => a.name);
  expect(names).toEqual(['echo', 'fail', 'flood', 'forever', 'garbage', 'no-interpreter', 'whoami-become']);
  const broken = await runCli(['show-available-actions'], {
    ...env,
    RUNE_PLUGINS_DIR: join(__dirname, '..', '..', 'fixtures', 'broken-plugins'),
  });
  expect(broken.code).toBe(2);
  expect(broken.stdout).toMatch(
    /^NAME +VERSION +KIND +TIMEOUT +DESCRIPTION\necho +1\.0\.0 +read-only +20s +Test fixture;/,
  );
  expect(broken.stdout).toContain('params: message:string="hello"');
  expect(broken.stderr).toMatch(/broken plugin .*bad-version\.sh: version "one" is not semver/);
});

test('a local plugin past its timeout is killed: RUN_TIMEOUT, exit 4, nothing left running', async () => {
  const pidfile = join(dir, 'local-forever.pid');
  const r = await runCli(
    ['run', 'forever', '--node', 'localhost', '--timeout', '1s', '--param', `pidfile=${pidfile}`, '--output', 'json'],
    env,
  );
  expect(r.code).toBe(4);
  expect(jsonLines(r.stdout)[0]).toMatchObject({
    status: 'timed_out',
    transport: 'local',
    error: { code: 'RUN_TIMEOUT' },
  });
  const pids = readFileSync(pidfile, 'utf8').trim().split(' ').map(Number);
  /** R, S, … while it runs; Z or X once it has exited (a zombie has finished); gone when reaped. */
  const state = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] ?? 'gone';
    } catch {
      return 'gone';
    }
  };
  const running = () => pids.filter((pid) => !['gone', 'Z', 'X'].includes(state(pid)));
  await waitFor(
    () => running().length === 0,
    () => `pids ${running()} to be gone`,
    5000,
  );
});

test("a local plugin does not inherit RUNE's secrets from the environment", async () => {
  process.env.RUNE_PAGERDUTY_TOKEN = 's3cret-token';
  let r;
  try {
    r = await runCli(['run', 'echo', '--node', 'localhost', '--output', 'json'], env);
  } finally {
    delete process.env.RUNE_PAGERDUTY_TOKEN;
  }
  expect(r.code).toBe(0);
  expect(jsonLines(r.stdout)[0]!.data.env_keys).not.toContain('RUNE_PAGERDUTY_TOKEN');
  expect(r.stdout).not.toContain('s3cret-token');
  const { pluginEnv } = await import('../../../src/transports/local-transport');
  expect(
    pluginEnv({ PATH: '/bin', RUNE_PAGERDUTY_TOKEN: 's3cret', AWS_SECRET_ACCESS_KEY: 'x', HOME: '/root' }),
  ).toEqual({ PATH: '/bin', HOME: '/root' });
});

test('text output says an error message once when it is also the summary', async () => {
  const r = await runCli(['run', 'echo', '--node', 'nowhere-1'], env);
  expect(r.code).toBe(2);
  expect(r.stdout.match(/is not in the inventory/g)).toHaveLength(1);
  expect(r.stdout).toMatch(/^ {5}error UNKNOWN_NODE \(stage validate\)$/m);
});

test('rules check also checks actions and literal params against the plugins, with lines', async () => {
  const bad = join(dir, 'bad-rules.yaml');
  writeFileSync(
    bad,
    'rules:\n  - name: x\n    matchers: [\'a="b"\']\n    steps:\n' +
      '      - action: nope\n      - action: echo\n        params: {unknown_param: 1}\n',
  );
  const r = await runCli(['rules', 'check', bad], env);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`${bad}:5: rules[0].steps[0].action: unknown action "nope"`);
  expect(r.stderr).toMatch(new RegExp(`${bad}:7: rules\\[0\\]\\.steps\\[1\\]\\.params`));
  expect(r.stderr).toContain('2 problem(s)');
});
