/**
 * `rune rules test <payload>`: the shipped fixtures verbatim through the CLI, explained against
 * the shipped rules.yaml and plugins; guard verdicts read from a database a real server wrote.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../../helpers/fixtures';
import { runCli } from '../../helpers/run-cli';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';
import { ROOT, startTestServer } from '../../helpers/test-server';

const AM = join(FIXTURES, 'alertmanager');
const PD = join(FIXTURES, 'pagerduty');
let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  dir = makeTempDir('explain');
  env = {
    RUNE_CONFIG: join(ROOT, 'rules.yaml'),
    RUNE_PLUGINS_DIR: join(ROOT, 'plugins'),
    RUNE_DB: join(dir, 'absent.db'),
    RUNE_SSH_USER: 'tester',
  };
});
afterAll(() => removeTempDir(dir));

// Parsed JSON, read field by field by the assertions.
type Json = Record<string, any>;

const explainJson = async (file: string, extra: string[] = [], e = env) => {
  const r = await runCli(['rules', 'test', file, '--output', 'json', ...extra], e);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(r.stdout) as Json;
};
const rule = (doc: Json, alert: number, name: string) =>
  (doc.alerts[alert].rules as Json[]).find((r) => r.rule === name) as Json;

test('Alertmanager firing fixture: disk rule matches, node web-1 by address, params, fresh guards', async () => {
  const file = join(AM, 'captured-am0.25-webhook-firing-1alert.json');
  const text = await runCli(['rules', 'test', file], env);
  expect(text.code).toBe(0);
  expect(text.stdout).toContain('Alertmanager webhook, 1 alert');
  expect(text.stdout).toContain('guards read no history (fresh state)');
  expect(text.stdout).toMatch(/MATCH +rule filesystem-almost-full/);
  expect(text.stdout).toContain(
    'ok   alertname="NodeFilesystemAlmostOutOfSpace"  alertname is "NodeFilesystemAlmostOutOfSpace"',
  );
  expect(text.stdout).toContain(
    'node: {{ labels.instance | hostname }} -> "10.0.1.23" -> inventory web-1: ssh rune@10.0.1.23:22',
  );
  expect(text.stdout).toContain('step 1: disk-usage {"paths":["/"],"warn_percent":90}');
  // The near miss: which matcher failed, and what the label held.
  expect(text.stdout).toMatch(
    new RegExp(
      'no match rule docker-daemon-down\\n.*ok {3}on: firing\\n' +
        '.*FAIL alertname="DockerDaemonDown" +alertname is "NodeFilesystemAlmostOutOfSpace"\\n' +
        '.*ok {3}severity=~"critical\\|page" +severity is "critical"',
    ),
  );

  const doc = await explainJson(file);
  expect(doc.payload.kind).toBe('alertmanager');
  expect(doc.db).toBeNull();
  expect(doc.summary).toEqual({ alerts: 1, matched_rules: 1, steps: 1, refused: 0, problems: 0 });
  const disk = rule(doc, 0, 'filesystem-almost-full');
  expect(disk.node).toEqual({
    template: '{{ labels.instance | hostname }}',
    rendered: '10.0.1.23',
    inventory: 'web-1',
    address: '10.0.1.23',
    user: 'rune',
    port: 22,
    transport: 'ssh',
    instance_id: null,
  });
  expect(disk.steps).toEqual([
    {
      step: 0,
      action: 'disk-usage',
      params: { paths: ['/'], warn_percent: 90 },
      validated_params: expect.objectContaining({ paths: ['/'], warn_percent: 90 }),
      problem: null,
    },
  ]);
  expect(disk.guards).toMatchObject({ decision: 'admit', reason: null, history: false });
  const docker = rule(doc, 0, 'docker-daemon-down');
  expect(docker.matched).toBe(false);
  expect(docker.matchers[0]).toEqual({
    matcher: 'alertname="DockerDaemonDown"',
    label: 'alertname',
    op: '=',
    expected: 'DockerDaemonDown',
    actual: 'NodeFilesystemAlmostOutOfSpace',
    pass: false,
  });
  expect(docker.node).toBeNull();
});

test('Alertmanager resolved fixture: the firing rule fails on `on:` although every matcher passes', async () => {
  const doc = await explainJson(join(AM, 'captured-am0.25-webhook-resolved-1alert.json'));
  const disk = rule(doc, 0, 'filesystem-almost-full');
  expect(doc.alerts[0].status).toBe('resolved');
  expect(disk).toMatchObject({ on: 'firing', statusOk: false, matched: false });
  expect(disk.matchers.every((m: { pass: boolean }) => m.pass)).toBe(true);
  const text = await runCli(['rules', 'test', join(AM, 'captured-am0.25-webhook-resolved-1alert.json')], env);
  expect(text.stdout).toContain('FAIL on: firing (the alert is resolved)');
  expect(doc.summary.matched_rules).toBe(0);
});

test('other Alertmanager fixtures: two instances, 0.34 fields, an old payload, empty fingerprints', async () => {
  const two = await explainJson(join(AM, 'captured-am0.25-webhook-firing-2instances.json'));
  expect(two.alerts.map((a: { labels: Record<string, string> }) => a.labels.instance)).toEqual([
    '10.0.1.23:9100',
    '10.0.2.57:9100',
  ]);
  expect(two.summary.matched_rules).toBe(0);
  expect(rule(two, 1, 'docker-daemon-down').matchers[0]).toMatchObject({ actual: 'HostHighCpuLoad', pass: false });

  const derived = await explainJson(join(AM, 'DERIVED-am0.34-webhook-firing-1alert.json'));
  expect(rule(derived, 0, 'filesystem-almost-full')).toMatchObject({ matched: true, node: { inventory: 'web-1' } });

  const old = await explainJson(join(AM, 'public-imgix-prometheus-am-executor-alert_payload.json'));
  expect(old.payload.notes.join('\n')).toMatch(/fingerprint: empty, computed [0-9a-f]{16}/);
  expect(old.alerts[0].fingerprint).toMatch(/^[0-9a-f]{16}$/);
  expect(old.summary.matched_rules).toBe(0);
});

test('PagerDuty: incident.triggered alone has no labels; the alerts list is read as the service does', async () => {
  const event = await runCli(
    ['rules', 'test', join(PD, 'webhook-v3-incident.triggered.aldaviva-real-signed.json')],
    env,
  );
  expect(event.code).toBe(0);
  expect(event.stdout).toContain('a v3 webhook carries no alert labels');
  expect(event.stdout).toContain('GET /incidents/Q2CKYRLH85UNN4/alerts');

  // Both shipped alerts lists hold no host label (a generic email alert, an openshift CAD alert):
  // RUNE would run nothing.
  for (const f of [
    'openapi-rest-list-incident-alerts.response.json',
    'public-rest-incident-alerts-array.alertmanager-origin.openshift-cad.json',
  ]) {
    const doc = await explainJson(join(PD, f));
    expect(doc.payload.kind).toBe('pagerduty-alerts');
    expect(doc.alerts).toEqual([]);
    expect(doc.payload.notes[0]).toMatch(/no host labels found in 1 alert\(s\), so RUNE would run nothing/);
  }

  // The same list as PagerDuty answers it once pagerduty_configs.details carries the host (docs/protocols.md §1.5).
  const list = JSON.parse(readFileSync(join(PD, 'openapi-rest-list-incident-alerts.response.json'), 'utf8'));
  list.alerts[0].status = 'triggered';
  list.alerts[0].body.details = { alertname: 'NodeFilesystemAlmostOutOfSpace', instance: '10.0.1.24:9100' };
  writeFileSync(join(dir, 'pd-alerts.json'), JSON.stringify(list));
  const doc = await explainJson(join(dir, 'pd-alerts.json'));
  expect(doc.payload.notes[0]).toContain('labels from body.details');
  expect(doc.alerts[0]).toMatchObject({
    source: 'pagerduty',
    status: 'firing',
    fingerprint: 'baf7cf21b1da41b4b0221008339ff357',
    labels: {
      alertname: 'NodeFilesystemAlmostOutOfSpace',
      instance: '10.0.1.24:9100',
      pagerduty_incident_id: 'PT4KHLK',
    },
  });
  expect(rule(doc, 0, 'filesystem-almost-full')).toMatchObject({
    matched: true,
    node: { inventory: 'web-2', user: 'ops', port: 2222 },
  });
});

test('bare alerts: one or an array; problems (unknown node, invalid params) are shown per rule', async () => {
  const config = join(dir, 'problems.yaml');
  writeFileSync(
    config,
    `nodes:
  - {name: web-1, address: 10.0.1.23}
rules:
  - name: restart
    matchers: ['alertname="DockerDaemonDown"']
    steps:
      - action: gather-logs
        params: {since: "{{ labels.since }}"}
      - action: restart-docker
  - name: also
    matchers: ['alertname="DockerDaemonDown"']
    node: "{{ labels.nodename }}"
    steps: [{action: noop}]
`,
  );
  writeFileSync(
    join(dir, 'bare.json'),
    JSON.stringify([
      { labels: { alertname: 'DockerDaemonDown', instance: '10.9.9.9:9323', since: 'yesterday' } },
      { labels: { alertname: 'DockerDaemonDown', instance: '10.0.1.23:9323', since: '1h' }, status: 'resolved' },
    ]),
  );
  const doc = await explainJson(join(dir, 'bare.json'), ['--config', config]);
  expect(doc.payload.kind).toBe('alert');
  const restart = rule(doc, 0, 'restart');
  expect(restart.node).toMatchObject({ rendered: '10.9.9.9', inventory: null });
  expect(restart.problems).toEqual([expect.objectContaining({ code: 'UNKNOWN_NODE' })]);
  expect(restart.steps[0].problem).toMatchObject({
    code: 'INVALID_PARAMS',
    message: expect.stringContaining('params.since'),
  });
  expect(restart.steps[1].problem).toBeNull();
  expect(rule(doc, 0, 'also').problems).toEqual([
    expect.objectContaining({ code: 'NODE_EMPTY', message: expect.stringContaining('rendered empty') }),
  ]);
  expect(doc.alerts[1].status).toBe('resolved');
  expect(doc.summary).toMatchObject({ alerts: 2, matched_rules: 2, problems: 3 });

  writeFileSync(
    join(dir, 'one.json'),
    JSON.stringify({ labels: { alertname: 'DockerDaemonDown', instance: '10.0.1.23:9323', since: '1h' } }),
  );
  const text = await runCli(['rules', 'test', join(dir, 'one.json'), '--config', config], env);
  expect(text.code).toBe(0);
  expect(text.stdout).toContain('bare alert(s), 1 alert');
  expect(text.stdout).toContain('problem NODE_EMPTY');
  expect(text.stdout).toContain('step 1: gather-logs {"since":"1h"}');
});

test('unreadable or invalid payloads and configs exit 2 with the reason', async () => {
  writeFileSync(join(dir, 'garbage.json'), '{"alerts": [');
  let r = await runCli(['rules', 'test', join(dir, 'garbage.json')], env);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('cannot read payload');
  r = await runCli(['rules', 'test', join(dir, 'missing.json')], env);
  expect(r).toMatchObject({ code: 2, stderr: expect.stringContaining('ENOENT') });
  writeFileSync(
    join(dir, 'bad-am.json'),
    JSON.stringify({ version: '4', status: 'firing', alerts: [{ status: 'burning', labels: { a: 1 } }] }),
  );
  r = await runCli(['rules', 'test', join(dir, 'bad-am.json')], env);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('alerts[0].status: must be "firing" or "resolved"');
  r = await runCli(['rules', 'test', join(AM, 'captured-am0.25-to-pagerduty-events-v2-trigger.json')], env);
  expect(r).toMatchObject({ code: 2, stderr: expect.stringContaining('Events API v2 event') });
  writeFileSync(join(dir, 'typo.json'), JSON.stringify({ labels: { a: 'b' }, lables: {} }));
  r = await runCli(['rules', 'test', join(dir, 'typo.json')], env);
  expect(r).toMatchObject({ code: 2, stderr: expect.stringContaining('alert.lables: unknown field') });
  writeFileSync(
    join(dir, 'broken.yaml'),
    'rules:\n  - name: x\n    matchers: ["a=~\\"(?=a)a\\""]\n    steps: [{action: noop}]\n',
  );
  r = await runCli(
    ['rules', 'test', join(AM, 'captured-am0.25-webhook-firing-1alert.json'), '--config', join(dir, 'broken.yaml')],
    env,
  );
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/broken\.yaml:3: rules\[0\]\.matchers\[0\]/);
});

test('guards decide on the database a server wrote: a cooldown that would block, a duplicate episode', async () => {
  const config = join(dir, 'cooldown.yaml');
  writeFileSync(
    config,
    'nodes:\n  - {name: web-1, address: 10.0.1.23}\nrules:\n  - name: disk\n' +
      `    matchers: ['alertname="NodeFilesystemAlmostOutOfSpace"']\n    steps: [{action: noop}]\n    cooldown: 30m\n`,
  );
  const db = join(dir, 'history.db');
  const server = await startTestServer({
    dir,
    name: 'history',
    dryRun: true,
    env: { RUNE_CONFIG: config, RUNE_DB: db, RUNE_WEBHOOK_TOKEN: 'tok' },
  });
  const fixture = join(AM, 'captured-am0.25-webhook-firing-1alert.json');
  try {
    const res = await fetch(`${server.url}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer tok' },
      body: readFileSync(fixture),
    });
    expect(res.status).toBe(202);
  } finally {
    await server.close(5000);
  }
  // The same episode again: a duplicate, with the job it already has.
  const same = await explainJson(fixture, ['--config', config, '--db', db]);
  expect(same.db).toBe(db);
  expect(rule(same, 0, 'disk').guards).toMatchObject({
    decision: 'duplicate',
    history: true,
    jobs: [expect.objectContaining({ action: 'noop' })],
  });
  // A new episode of the same alert on the same node: the cooldown refuses it.
  const body = JSON.parse(readFileSync(fixture, 'utf8'));
  body.alerts[0].fingerprint = 'a-new-episode';
  writeFileSync(join(dir, 'again.json'), JSON.stringify(body));
  const again = await explainJson(join(dir, 'again.json'), ['--config', config, '--db', db]);
  expect(rule(again, 0, 'disk').guards).toMatchObject({
    decision: 'refuse',
    reason: expect.stringMatching(/^cooldown: rule disk ran on web-1 at .*; cooldown 30m/),
  });
  expect(again.summary.refused).toBe(1);
  const text = await runCli(['rules', 'test', join(dir, 'again.json'), '--config', config, '--db', db], env);
  expect(text.stdout).toContain(`guards read the state in ${db}`);
  expect(text.stdout).toContain('guards: would be SKIPPED: cooldown: rule disk ran on web-1');
  // Read-only: explaining wrote nothing to the database.
  const before = readFileSync(db);
  await explainJson(join(dir, 'again.json'), ['--config', config, '--db', db]);
  expect(readFileSync(db).equals(before)).toBe(true);
});

test('verify, silence, escalate: the rule own and the defaults are explained; none shows nothing', async () => {
  const config = join(dir, 'verify.yaml');
  writeFileSync(
    config,
    `nodes:
  - {name: web-1, address: 10.0.1.23}
defaults:
  verify: {within: 10m}
rules:
  - name: own
    matchers: ['alertname="DockerDaemonDown"']
    steps: [{action: noop}]
    verify: {within: 2m, query: 'up{job="docker"} == 0'}
    silence: {during: until_verified, max: 30m}
    escalate: {on: [failed, not_fixed], severity: critical}
    on_failure: [{action: gather-logs, params: {since: "{{ labels.alertname }}"}}]
  - name: inherited
    matchers: ['alertname="DockerDaemonDown"']
    steps: [{action: noop}]
  - name: off
    matchers: ['alertname="DockerDaemonDown"']
    steps: [{action: noop}]
    verify: {within: 0s}
`,
  );
  writeFileSync(
    join(dir, 'verify.json'),
    JSON.stringify({ labels: { alertname: 'DockerDaemonDown', instance: '10.0.1.23:9323' } }),
  );
  const doc = await explainJson(join(dir, 'verify.json'), ['--config', config]);
  expect(rule(doc, 0, 'own').verify).toEqual({ within: '2m', query: 'up{job="docker"} == 0' });
  expect(rule(doc, 0, 'inherited').verify).toEqual({ within: '10m', query: null });
  expect(rule(doc, 0, 'off').verify).toBeNull();
  const text = (await runCli(['rules', 'test', join(dir, 'verify.json'), '--config', config], env)).stdout;
  expect(text).toContain(
    'verify: once the run succeeded, the alert must resolve within 2m (its resolve notification, or gone from ' +
      `Alertmanager's GET /api/v2/alerts, or the query "up{job=\\"docker\\"} == 0" empty (RUNE_PROMETHEUS_URL)), ` +
      'else not_fixed',
  );
  expect(text.match(/verify: /g)).toHaveLength(2);
  expect(rule(doc, 0, 'own').silence).toEqual({ during: 'until_verified', max: '30m' });
  expect(rule(doc, 0, 'own').escalate).toEqual({ on: ['failed', 'not_fixed'], severity: 'critical' });
  expect(rule(doc, 0, 'inherited')).toMatchObject({ silence: null, escalate: null, on_failure: [] });
  expect(rule(doc, 0, 'own').on_failure).toEqual([{ action: 'gather-logs', params: { since: 'DockerDaemonDown' } }]);
  expect(text).toContain('on failure 1: gather-logs {"since":"DockerDaemonDown"} (only if the run fails)');
  expect(text).toContain(
    'silence: the alert is silenced in Alertmanager (RUNE_ALERTMANAGER_URL) from before the first mutating step ' +
      'until its verification ends, at most 30m',
  );
  expect(text).toContain(
    'escalate: a PagerDuty critical event (RUNE_PAGERDUTY_ROUTING_KEY) when the run is failed, or not fixed',
  );
});
