/**
 * `rune rules replay`: real notifications go through a real `rune serve` (dry run, SQLite file)
 * with the old rules; replaying them with a changed rules file shows exactly the decisions that
 * change, and nothing else, without writing to the database.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alertmanagerPayload, type AlertSpec } from '../../helpers/alertmanager-payload';
import { runCli } from '../../helpers/run-cli';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';
import { ROOT, startTestServer } from '../../helpers/test-server';

let dir: string;
let db: string;
const env = () => ({ RUNE_PLUGINS_DIR: join(ROOT, 'plugins'), RUNE_DB: db, RUNE_SSH_USER: 'tester' });

const rulesFile = (name: string, dockerMatcher: string, diskParams = '{}') => {
  const path = join(dir, name);
  writeFileSync(
    path,
    `nodes:
  - {name: web-1, address: 10.0.1.23}
  - {name: web-2, address: 10.0.1.24}
rules:
  - name: disk
    matchers: ['alertname="Disk"']
    steps: [{action: noop, params: ${diskParams}}]
  - name: docker
    matchers: ['alertname="Docker"', '${dockerMatcher}']
    steps: [{action: noop}, {action: noop}]
  - name: disk-cleared
    matchers: ['alertname="Disk"']
    on: resolved
    steps: [{action: noop}]
`,
  );
  return path;
};

const disk: AlertSpec = { labels: { alertname: 'Disk', instance: '10.0.1.23:9100' }, fingerprint: 'd1' };
const critical: AlertSpec = {
  labels: { alertname: 'Docker', severity: 'critical', instance: '10.0.1.23:9323' },
  fingerprint: 'k1',
};
const warning: AlertSpec = {
  labels: { alertname: 'Docker', severity: 'warning', instance: '10.0.1.24:9323' },
  fingerprint: 'k2',
};
const other: AlertSpec = { labels: { alertname: 'Other', instance: '10.0.1.24:9100' }, fingerprint: 'o1' };

beforeAll(async () => {
  dir = makeTempDir('replay');
  db = join(dir, 'rune.db');
  const server = await startTestServer({
    dir,
    name: 'rune',
    dryRun: true,
    env: { RUNE_CONFIG: rulesFile('old.yaml', 'severity="critical"'), RUNE_WEBHOOK_TOKEN: 'tok' },
  });
  const post = async (body: Buffer) => {
    const res = await fetch(`${server.url}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer tok' },
      body,
    });
    expect(res.status).toBe(202);
    return (await res.json()) as { jobs: string[]; duplicates: string[] };
  };
  try {
    expect((await post(alertmanagerPayload('{}:{alertname="Disk"}', [disk]))).jobs).toHaveLength(1);
    expect((await post(alertmanagerPayload('{}:{alertname="Docker"}', [critical, warning, other]))).jobs).toHaveLength(
      2,
    );
    // Alertmanager re-sends the group: the same episodes, nothing new runs.
    expect(
      (await post(alertmanagerPayload('{}:{alertname="Docker"}', [critical, warning, other]))).duplicates,
    ).toHaveLength(2);
    expect(
      (await post(alertmanagerPayload('{}:{alertname="Disk"}', [{ ...disk, status: 'resolved' }]))).jobs,
    ).toHaveLength(1);
  } finally {
    await server.close(5000);
  }
}, 30_000);
afterAll(() => removeTempDir(dir));

test('the same rules replay with no differences', async () => {
  const r = await runCli(['rules', 'replay', '--since', '1h', '--config', join(dir, 'old.yaml')], env());
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(
    'summary: 4 webhook(s), 8 alert(s) (3 repeated episode(s) skipped); 0 alert(s) decided differently: ' +
      '0 new run(s), 0 no longer run, 0 changed; 3 unchanged',
  );
  expect(r.stdout).not.toMatch(/^\d{4}-.*: alert /m);
});

test('a widened matcher shows exactly the one alert that would now run, and nothing else', async () => {
  const before = readFileSync(db);
  const r = await runCli(
    ['rules', 'replay', '--since', '1h', '--config', rulesFile('wider.yaml', 'severity=~"critical|warning"')],
    env(),
  );
  expect(r.code).toBe(0);
  const alerts = r.stdout.split('\n').filter((l) => / alert [^ ]+ (firing|resolved) since /.test(l));
  expect(alerts).toHaveLength(1);
  expect(alerts[0]).toContain('alert k2 firing');
  expect(r.stdout).toContain('  + new run       docker: noop on web-2 {}; noop on web-2 {}');
  expect(r.stdout).not.toMatch(/^ {2}(- no longer|~ changed)/m);
  expect(r.stdout).toContain('1 alert(s) decided differently: 1 new run(s), 0 no longer run, 0 changed; 3 unchanged');
  // Read-only: the database is byte for byte what the server left.
  expect(readFileSync(db).equals(before)).toBe(true);
});

test('a narrowed matcher and changed params: "no longer runs" and "changed", with what happened (json)', async () => {
  const r = await runCli(
    [
      'rules',
      'replay',
      '--since',
      '1h',
      '--output',
      'json',
      '--config',
      rulesFile('narrow.yaml', 'severity="page"', '{message: hi}'),
    ],
    env(),
  );
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.stdout);
  expect(doc.summary).toEqual({
    webhooks: 4,
    alerts: 8,
    repeats: 3,
    alerts_changed: 2,
    new: 0,
    removed: 1,
    changed: 1,
    same: 1,
  });
  const byFp = Object.fromEntries(doc.alerts.map((a: { alert: { fingerprint: string } }) => [a.alert.fingerprint, a]));
  expect(Object.keys(byFp).sort()).toEqual(['d1', 'k1']);
  expect(byFp.k1.changes).toEqual([
    {
      kind: 'removed',
      rule: 'docker',
      before: [
        expect.objectContaining({
          step: 0,
          action: 'noop',
          node: 'web-1',
          params: {},
          status: expect.stringMatching(/^(queued|running|succeeded)$/),
        }),
        expect.objectContaining({ step: 1, action: 'noop', node: 'web-1' }),
      ],
    },
  ]);
  expect(byFp.d1.alert.status).toBe('firing');
  expect(byFp.d1.changes).toEqual([
    {
      kind: 'changed',
      rule: 'disk',
      before: [expect.objectContaining({ params: {} })],
      after: [{ step: 0, action: 'noop', node: 'web-1', params: { message: 'hi' } }],
    },
  ]);
});

test('--all lists unchanged decisions too; an --until before them replays nothing; bad flags: 2', async () => {
  const all = await runCli(['rules', 'replay', '--since', '1h', '--all', '--config', join(dir, 'old.yaml')], env());
  expect(all.stdout).toContain('    same          disk-cleared: noop on web-1 {}');
  expect(all.stdout).toContain('    no rule matches, before or now');
  const none = await runCli(
    ['rules', 'replay', '--since', '2h', '--until', '1h', '--config', join(dir, 'old.yaml')],
    env(),
  );
  expect(none.stdout).toContain('summary: 0 webhook(s), 0 alert(s)');
  expect(
    (await runCli(['rules', 'replay', '--since', 'yesterday', '--config', join(dir, 'old.yaml')], env())).code,
  ).toBe(2);
  const missing = await runCli(
    ['rules', 'replay', '--since', '1h', '--config', join(dir, 'old.yaml'), '--db', join(dir, 'nope.db')],
    env(),
  );
  expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot open the database') });
});

test('a PostgreSQL RUNE_DB is refused with why and what to do, not read as a missing file', async () => {
  const r = await runCli(
    ['rules', 'replay', '--since', '1h', '--config', join(dir, 'old.yaml'), '--db', 'postgres://rune@db:5432/rune'],
    env(),
  );
  expect(r).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('read a SQLite database only; RUNE_DB names PostgreSQL'),
  });
});
