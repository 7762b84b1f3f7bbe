/**
 * `rune tokens …` end to end (the printed token authenticates against a served app; the file holds
 * only its hash, mode 0600) and `rune jobs list|show|retry|cancel` against a real in-process server
 * on 127.0.0.1.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../../src/server/start-server';
import { tokenLine } from '../../helpers/api-tokens';
import { httpCall } from '../../helpers/http-call';
import { jsonLines, runCli } from '../../helpers/run-cli';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';
import { LOCAL_NODES, startTestServer, writeTestPlugins } from '../../helpers/test-server';
import { waitFor } from '../../helpers/wait-for';

let dir: string;
let plugins: string;
beforeAll(() => {
  dir = makeTempDir('tokens-jobs');
  plugins = writeTestPlugins(dir);
});
afterAll(() => removeTempDir(dir));

describe('rune tokens', () => {
  test('add prints a token once that authenticates with its role; the file holds no plaintext, mode 0600', async () => {
    const file = join(dir, 'api-tokens');
    const env = { RUNE_API_TOKENS_FILE: file };
    const admin = await runCli(['tokens', 'add', 'alice', '--role', 'admin'], env);
    expect(admin.code).toBe(0);
    const adminToken = admin.stdout.trim();
    expect(adminToken).toMatch(/^rune_[A-Za-z0-9_-]{43}$/);
    expect(admin.stderr).toMatch(/added token alice \(role admin\).*shown only now/s);
    const op = await runCli(
      ['tokens', 'add', 'pd-ext', '--role', 'operator', '--actions', 'echo', '--nodes', 'web-*', '--file', file],
      {},
    );
    expect(op.code).toBe(0);
    const opToken = op.stdout.trim();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(adminToken);
    expect(text).not.toContain(opToken.slice(5));
    expect(text).toMatch(
      /^alice admin sha256:[0-9a-f]{64}\npd-ext operator sha256:[0-9a-f]{64} actions=echo nodes=web-\*\n$/,
    );

    const s = await startTestServer({
      dir,
      name: 'tokens',
      config: `${LOCAL_NODES}rules: []\n`,
      plugins,
      env: { RUNE_PUBLIC_URL: 'https://rune.example.com', RUNE_API_TOKENS_FILE: file },
    });
    try {
      expect((await httpCall(s.url, 'POST', '/api/v1/pause', { token: adminToken })).status).toBe(200);
      expect((await httpCall(s.url, 'POST', '/api/v1/resume', { token: adminToken })).status).toBe(200);
      expect((await httpCall(s.url, 'POST', '/api/v1/pause', { token: opToken })).status).toBe(403);
      expect(
        (await httpCall(s.url, 'POST', '/api/v1/jobs', { token: opToken, body: { action: 'echo', node: 'web-1' } }))
          .status,
      ).toBe(202);
      expect(
        (await httpCall(s.url, 'POST', '/api/v1/jobs', { token: opToken, body: { action: 'echo', node: 'db-1' } }))
          .status,
      ).toBe(403);
      // remove + reload: the token stops working.
      expect((await runCli(['tokens', 'remove', 'pd-ext'], env)).code).toBe(0);
      expect((await httpCall(s.url, 'POST', '/-/reload', { token: adminToken })).status).toBe(200);
      expect((await httpCall(s.url, 'GET', '/api/v1/jobs', { token: opToken })).status).toBe(401);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      await s.close(5000);
    }
    const list = await runCli(['tokens', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME +ROLE +ACTIONS +NODES\nalice +admin +\* +\*\n$/);
    expect(list.stdout).not.toContain('sha256');
  });

  test('refused: duplicate names, bad names, roles, actions, scopes on a non-operator, no file given', async () => {
    const file = join(dir, 'refusals');
    const env = { RUNE_API_TOKENS_FILE: file };
    expect((await runCli(['tokens', 'add', 'bob', '--role', 'viewer'], env)).code).toBe(0);
    const cases: [string[], RegExp][] = [
      [['tokens', 'add', 'bob', '--role', 'viewer'], /a token named bob is already in/],
      [['tokens', 'add', 'b o b', '--role', 'viewer'], /token name "b o b" must be/],
      [['tokens', 'add', 'carol', '--role', 'root'], /Allowed choices are viewer, operator, admin/],
      [['tokens', 'add', 'carol'], /--role viewer\|operator\|admin/],
      [
        ['tokens', 'add', 'carol', '--role', 'operator', '--actions', 'Rm -rf'],
        /actions=: "Rm -rf" is not an action name/,
      ],
      [['tokens', 'add', 'carol', '--role', 'admin', '--nodes', 'web-*'], /narrow an operator token/],
      [['tokens', 'remove', 'nobody'], /no token named nobody/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, env);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(message);
    }
    const noFile = await runCli(['tokens', 'add', 'dave', '--role', 'viewer'], {});
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/--file PATH or set RUNE_API_TOKENS_FILE/);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  test('rune serve refuses an old plaintext tokens file at start: file:line, `rune tokens add`, exit 2', async () => {
    const file = join(dir, 'old-tokens');
    writeFileSync(file, '# old format\nalice:rune_plaintext-0123\n');
    const config = join(dir, 'serve-refused.yaml');
    writeFileSync(config, `${LOCAL_NODES}rules: []\n`);
    const r = await runCli(['serve', '--listen', '127.0.0.1:0', '--db', join(dir, 'refused.db')], {
      RUNE_API_TOKENS_FILE: file,
      RUNE_CONFIG: config,
      RUNE_PLUGINS_DIR: plugins,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:2: not a token line`);
    expect(r.stderr).toContain('rune tokens add');
    expect(r.stderr).not.toContain('rune_plaintext-0123');
    const list = await runCli(['tokens', 'list', '--file', file], {});
    expect(list.code).toBe(2);
    expect(list.stderr).toContain(`${file}:2: not a token line`);
  });
});

describe('rune jobs', () => {
  const OP = 'rune_jobs-operator-0001';
  const VIEWER = 'rune_jobs-viewer-0002';
  let s: RunningServer;
  beforeAll(async () => {
    const file = join(dir, 'jobs-tokens');
    writeFileSync(file, tokenLine('otto', 'operator', OP) + tokenLine('vera', 'viewer', VIEWER));
    s = await startTestServer({
      dir,
      name: 'jobs',
      config: `${LOCAL_NODES}rules: []\n`,
      plugins,
      env: { RUNE_PUBLIC_URL: 'https://rune.example.com', RUNE_API_TOKENS_FILE: file },
      concurrency: 1,
    });
  });
  afterAll(() => s?.close(5000));
  const env = () => ({ RUNE_TOKEN: OP, RUNE_PUBLIC_URL: 'http://127.0.0.1:1' });
  const run = async (action: string, node: string) =>
    (await httpCall(s.url, 'POST', '/api/v1/jobs', { token: OP, body: { action, node } })).body.job_id as string;

  test('list and show print jobs and Results like `rune run`; a failed job exits 1', async () => {
    const ok = await run('echo', 'web-1');
    const bad = await run('fail', 'web-2');
    await s.queue.idle();
    const list = await runCli(['jobs', 'list', '--server', s.url], env());
    expect(list.code).toBe(0);
    const [header, first] = list.stdout.split('\n');
    expect(header).toMatch(/^ID +STATUS +ACTION +RULE +CREATED +SUMMARY$/);
    expect(first).toMatch(new RegExp(`^${bad}  failed +fail on web-2 +- +\\S+ +.*widget is broken`));
    // Columns align: each starts where its header does.
    expect(first!.indexOf('fail on')).toBe(header!.indexOf('ACTION'));
    const filtered = await runCli(
      ['jobs', 'list', '--url', s.url, '--node', 'web-1', '--status', 'succeeded', '-o', 'json'],
      env(),
    );
    expect(jsonLines(filtered.stdout).map((j) => j.id)).toEqual([ok]);

    const shown = await runCli(['jobs', 'show', ok, '--server', s.url, '--output', 'json'], env());
    expect(shown.code).toBe(0);
    expect(jsonLines(shown.stdout)).toEqual([s.store.getJob(ok)!.result]);
    const failed = await runCli(['jobs', 'show', bad, '--server', s.url], env());
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^FAIL web-2 {2}fail 1\.0\.0 {2}failed .*widget is broken\n {5}error PLUGIN_FAILED/);
    expect(failed.stdout).toContain('checking the widget'); // stderr tail, as `rune run` shows it
    const yaml = await runCli(['jobs', 'show', ok, '--server', s.url, '-o', 'yaml'], env());
    expect(yaml.stdout).toContain(`job_id: ${ok}`);
  });

  test('retry --wait prints the new Result; cancel cancels a queued job; exit codes 2 and 3', async () => {
    const first = await run('echo', 'web-3');
    await s.queue.idle();
    const retried = await runCli(
      ['jobs', 'retry', first, '--wait', '--reason', 'again', '--server', s.url, '-o', 'json'],
      env(),
    );
    expect(retried.code).toBe(0);
    const [result] = jsonLines(retried.stdout);
    expect(result).toMatchObject({
      status: 'succeeded',
      action: 'echo',
      node: 'web-3',
      trigger: { kind: 'api', actor: 'otto' },
    });
    expect(result!.job_id).not.toBe(first);
    const failing = await run('fail', 'web-3');
    await s.queue.idle();
    expect((await runCli(['jobs', 'retry', failing, '--wait', '--server', s.url], env())).code).toBe(1);
    const noWait = await runCli(['jobs', 'retry', first, '--server', s.url], env());
    expect(noWait.stdout).toMatch(new RegExp(`^job \\S+ queued \\(retry of ${first}\\)\\n$`));

    // One slot: a slow job runs, the next one waits and can be cancelled.
    const slow = await run('slow', 'web-4');
    const queued = await run('slow', 'web-5');
    await waitFor(() => s.store.getJob(slow)!.status === 'running', 'the slow job to run');
    expect(s.store.getJob(queued)!.status).toBe('queued');
    const cancel = await runCli(['jobs', 'cancel', queued, '--reason', 'not needed', '--server', s.url], env());
    expect(cancel).toMatchObject({ code: 0, stdout: `job ${queued} cancelled: by otto: not needed\n` });
    const running = await runCli(['jobs', 'cancel', slow, '--server', s.url], env());
    expect(running.code).toBe(2);
    expect(running.stderr).toMatch(
      /409 JOB_RUNNING: job \S+ is running slow, which changes the node; .*rune jobs cancel --force/,
    );
    const forced = await runCli(['jobs', 'cancel', slow, '--force', '--server', s.url], env());
    expect(forced).toMatchObject({
      code: 0,
      stdout: `job ${slow} is being stopped (cancelled: by otto); \`rune jobs show ${slow}\` shows how it ended\n`,
    });
    await s.queue.idle();
    expect(s.store.getJob(queued)!.status).toBe('cancelled');

    const viewer = await runCli(['jobs', 'cancel', first, '--server', s.url, '--token', VIEWER], env());
    expect(viewer.code).toBe(2);
    expect(viewer.stderr).toMatch(/403 FORBIDDEN: .*needs role operator/);
    const legacyEnv = await runCli(['jobs', 'show', first, '--server', s.url], { RUNE_API_TOKEN: VIEWER });
    expect(legacyEnv.code).toBe(0);
    const missing = await runCli(['jobs', 'show', 'no-such-job', '--server', s.url], env());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/404 NOT_FOUND/);
    const unreachable = await runCli(['jobs', 'list'], env()); // RUNE_PUBLIC_URL points at port 1
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/cannot reach RUNE at http:\/\/127\.0\.0\.1:1/);
  });
  test('release frees the node a run of unknown outcome holds; again: 409, exit 2', async () => {
    // Stored as a mutating run that was going on when RUNE stopped (what a restart finds).
    const id = 'unknown-outcome-0001';
    const now = Date.now();
    s.store.createJobs([
      {
        id,
        traceId: 'a'.repeat(32),
        request: { action: 'slow', node: 'web-6', params: {}, dryRun: false, pluginDryRun: false },
        trigger: { kind: 'api', actor: 'otto' },
        alert: null,
        incident: null,
        chainId: null,
        step: 0,
        after: null,
        stopOnFailureOf: true,
        notify: [],
        mutating: true,
        createdAt: new Date(now).toISOString(),
      },
    ]);
    s.store.markRunning(id, new Date(now).toISOString(), now + 600_000);
    s.store.interruptRunning(new Date(now).toISOString());
    const shown = await runCli(['jobs', 'show', id, '--server', s.url, '-o', 'json'], env());
    expect(shown.code).toBe(1);
    expect(jsonLines(shown.stdout)[0]).toMatchObject({ status: 'outcome_unknown', lock_until: expect.any(String) });
    const text = await runCli(['jobs', 'show', id, '--server', s.url], env());
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(
      new RegExp(
        `^rune: job ${id} is outcome_unknown \\(slow on web-6\\): .*RUNE stopped.*\\n` +
          `rune: node web-6 stays held until \\S+; once you have checked the run is over there: ` +
          `rune jobs release ${id}\\n$`,
      ),
    );

    const released = await runCli(['jobs', 'release', id, '--reason', 'checked ps', '--server', s.url], env());
    expect(released).toMatchObject({
      code: 0,
      stdout: `node web-6 released from job ${id}: mutating jobs may run there now\n`,
    });
    expect(s.store.getJob(id)!.lockUntil).toBeNull();
    expect(s.store.queryAudit({ action: 'release', limit: 1 })[0]).toMatchObject({
      actor: 'otto',
      details: { job_id: id, reason: 'checked ps' },
    });
    const again = await runCli(['jobs', 'release', id, '--server', s.url], env());
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/409 NOTHING_HELD: job \S+ holds no node/);
  });
});
