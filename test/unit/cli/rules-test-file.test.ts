/**
 * `rune rules test --tests`: the shipped rules.test.yaml passes against the shipped rules.yaml
 * (this test is how `npm test` and CI run it), a failing case prints a diff and exits 1, a
 * malformed file exits 2 with file:line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runCli } from '../../helpers/run-cli';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';

const ROOT = join(__dirname, '..', '..', '..');
const env = { RUNE_PLUGINS_DIR: join(ROOT, 'plugins'), RUNE_SSH_USER: 'tester' };
let dir: string;
beforeAll(() => {
  dir = makeTempDir('rule-tests');
});
afterAll(() => removeTempDir(dir));

test('the shipped rules.test.yaml passes against the shipped rules.yaml, and covers every rule', async () => {
  const r = await runCli(
    ['rules', 'test', '--tests', join(ROOT, 'rules.test.yaml'), '--config', join(ROOT, 'rules.yaml')],
    env,
  );
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^PASS: (\d+) passed, 0 failed, \1 case\(s\) in /m);
  expect(r.stdout).not.toContain('FAIL');
  // Each rule matches somewhere, near misses exist, and resolved alerts are tested.
  const tests = (
    parse(readFileSync(join(ROOT, 'rules.test.yaml'), 'utf8')) as {
      tests: { name: string; alerts: { status?: string }[]; expect: { rule: string }[] }[];
    }
  ).tests;
  const rules = (parse(readFileSync(join(ROOT, 'rules.yaml'), 'utf8')) as { rules: { name: string }[] }).rules.map(
    (x) => x.name,
  );
  expect(new Set(tests.flatMap((t) => t.expect.map((e) => e.rule)))).toEqual(new Set(rules));
  expect(tests.filter((t) => t.name.startsWith('near miss') && t.expect.length === 0).length).toBeGreaterThanOrEqual(2);
  expect(tests.some((t) => t.alerts.every((a) => a.status === 'resolved') && t.expect.length === 0)).toBe(true);
});

test('a failing case prints expected (-) vs got (+) with file:line, a summary, and exits 1', async () => {
  const file = join(dir, 'failing.test.yaml');
  writeFileSync(
    file,
    `tests:
  - name: passes
    alerts:
      - labels: {alertname: NodeFilesystemAlmostOutOfSpace, instance: "10.0.1.23:9100"}
    expect:
      - {rule: filesystem-almost-full, action: disk-usage, node: web-1}
  - name: wrong node and wrong params
    alerts:
      - labels: {alertname: DockerDaemonDown, severity: critical, instance: "10.0.1.24:9323"}
    expect:
      - {rule: docker-daemon-down, action: gather-logs, node: web-1, params: {since: 1h, units: [docker]}}
      - {rule: docker-daemon-down, action: restart-docker, node: web-2}
  - name: expects nothing but the rule runs
    alerts:
      - labels: {alertname: NodeFilesystemAlmostOutOfSpace, instance: "db-3:9100", mountpoint: /srv}
    expect: []
`,
  );
  const r = await runCli(['rules', 'test', '--tests', file, '--config', join(ROOT, 'rules.yaml')], env);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain('ok    passes');
  expect(r.stdout).toContain(
    [
      `FAIL  wrong node and wrong params  (${file}:7)`,
      '      expected (-) vs got (+):',
      '      - docker-daemon-down: gather-logs on web-1 {"since":"1h","units":["docker"]}',
      '      + docker-daemon-down: gather-logs on web-2 {"since":"30m","units":["docker"]}',
      '        docker-daemon-down: restart-docker on web-2',
    ].join('\n'),
  );
  expect(r.stdout).toContain(
    [
      `FAIL  expects nothing but the rule runs  (${file}:13)`,
      '      expected (-) vs got (+):',
      '      + filesystem-almost-full: disk-usage on db-3 {"paths":["/srv"],"warn_percent":90}',
    ].join('\n'),
  );
  expect(r.stdout).toContain(`FAIL: 1 passed, 2 failed, 3 case(s) in ${file}`);

  const json = await runCli(
    ['rules', 'test', '--tests', file, '--config', join(ROOT, 'rules.yaml'), '--output', 'json'],
    env,
  );
  expect(json.code).toBe(1);
  const doc = JSON.parse(json.stdout);
  expect(doc).toMatchObject({ passed: 1, failed: 2 });
  expect(doc.cases[1].got).toEqual([
    {
      rule: 'docker-daemon-down',
      step: 0,
      action: 'gather-logs',
      node: 'web-2',
      params: { since: '30m', units: ['docker'] },
    },
    { rule: 'docker-daemon-down', step: 1, action: 'restart-docker', node: 'web-2', params: {} },
  ]);
});

test('a malformed test file exits 2 with file:line and path', async () => {
  const file = join(dir, 'malformed.test.yaml');
  writeFileSync(
    file,
    `tests:\n  - name: typo\n    alerts:\n      - labels: {alertname: X, port: 9100}\n    expcet: []\n`,
  );
  const r = await runCli(['rules', 'test', '--tests', file], { ...env, RUNE_CONFIG: join(ROOT, 'rules.yaml') });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`${file}:4: tests[0].alerts[0].labels.port: must be string`);
  expect(r.stderr).toContain(`${file}:5: tests[0]: must NOT have additional properties: "expcet"`);
  expect(r.stdout).toBe('');
  writeFileSync(file, 'tests:\n  - name: [unclosed\n');
  const broken = await runCli(['rules', 'test', '--tests', file], { ...env, RUNE_CONFIG: join(ROOT, 'rules.yaml') });
  expect(broken.code).toBe(2);
  expect(broken.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: `));
  const both = await runCli(['rules', 'test', 'payload.json', '--tests', file], env);
  expect(both.code).toBe(2);
});
