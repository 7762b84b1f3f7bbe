/**
 * Roles on every endpoint (docs/security.md), through the real service on 127.0.0.1: hashed tokens
 * file, local transport, SQLite file. Each unauthenticated check comes from its own loopback
 * address, so the failed-authentication limit of one address does not decide another's answer.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Role } from '../../src/auth/actor';
import type { RunningServer } from '../../src/server/start-server';
import { tokenLine } from '../helpers/api-tokens';
import { httpCall } from '../helpers/http-call';
import { recordingLog } from '../helpers/quiet-log';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { LOCAL_NODES, startTestServer, writeTestPlugins } from '../helpers/test-server';
import { waitFor } from '../helpers/wait-for';

const TOKENS = {
  viewer: 'rune_viewer-token-0001',
  operator: 'rune_operator-token-0002',
  admin: 'rune_admin-token-0003',
  scoped: 'rune_scoped-token-0004',
};
const NAMES: Record<keyof typeof TOKENS, string> = { viewer: 'vera', operator: 'otto', admin: 'ada', scoped: 'sam' };
const AM_TOKEN = 'am-token-access';

let dir: string;
let plugins: string;
let tokensFile: string;
const tokensText = () =>
  tokenLine('vera', 'viewer', TOKENS.viewer) +
  tokenLine('otto', 'operator', TOKENS.operator) +
  tokenLine('ada', 'admin', TOKENS.admin) +
  tokenLine('sam', 'operator', TOKENS.scoped, { actions: ['echo'], nodes: ['web-*'] });
const config =
  `${LOCAL_NODES}rules:\n  - name: web-echo\n    matchers: ['alertname="WebDown"']\n` +
  `    node: "{{ labels.nodename }}"\n    steps: [{action: echo}]\n`;

beforeAll(() => {
  dir = makeTempDir('access');
  plugins = writeTestPlugins(dir);
  tokensFile = join(dir, 'tokens');
  writeFileSync(tokensFile, `# RUNE API tokens\n\n${tokensText()}`);
});
afterAll(() => removeTempDir(dir));

const start = (
  name: string,
  flags: { dryRun?: boolean; concurrency?: number; insecureNoAuth?: boolean } = {},
  env: Record<string, string> = {},
) =>
  startTestServer({
    dir,
    name,
    config,
    plugins,
    env: {
      RUNE_PUBLIC_URL: 'https://rune.example.com',
      RUNE_API_TOKENS_FILE: tokensFile,
      RUNE_WEBHOOK_TOKEN: AM_TOKEN,
      ...env,
    },
    ...flags,
  });

describe('every endpoint × role', () => {
  let s: RunningServer;
  let jobId: string;
  beforeAll(async () => {
    s = await start('roles');
    const r = await httpCall(s.url, 'POST', '/api/v1/jobs', {
      token: TOKENS.admin,
      body: { action: 'echo', node: 'web-1' },
    });
    jobId = r.body.job_id;
    await s.queue.idle();
  });
  afterAll(() => s?.close(5000));

  const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
  // In order: pause comes after the runs, resume right after pause.
  const table: {
    endpoint: string;
    method: 'GET' | 'POST';
    path: () => string;
    needs: Role;
    ok: number;
    body?: unknown;
  }[] = [
    { endpoint: 'GET /api/v1/actions', method: 'GET', path: () => '/api/v1/actions', needs: 'viewer', ok: 200 },
    { endpoint: 'GET /api/v1/jobs', method: 'GET', path: () => '/api/v1/jobs', needs: 'viewer', ok: 200 },
    { endpoint: 'GET /api/v1/jobs/:id', method: 'GET', path: () => `/api/v1/jobs/${jobId}`, needs: 'viewer', ok: 200 },
    { endpoint: 'GET /api/v1/guards', method: 'GET', path: () => '/api/v1/guards', needs: 'viewer', ok: 200 },
    { endpoint: 'GET /metrics', method: 'GET', path: () => '/metrics', needs: 'viewer', ok: 200 },
    {
      endpoint: 'POST /api/v1/jobs',
      method: 'POST',
      path: () => '/api/v1/jobs',
      needs: 'operator',
      ok: 202,
      body: { action: 'echo', node: 'web-2' },
    },
    {
      endpoint: 'POST /api/v1/jobs/:id/retry',
      method: 'POST',
      path: () => `/api/v1/jobs/${jobId}/retry`,
      needs: 'operator',
      ok: 202,
    },
    // The job is finished: a permitted cancel reaches the 409, a refused one never gets that far.
    {
      endpoint: 'POST /api/v1/jobs/:id/cancel',
      method: 'POST',
      path: () => `/api/v1/jobs/${jobId}/cancel`,
      needs: 'operator',
      ok: 409,
    },
    { endpoint: 'POST /-/reload', method: 'POST', path: () => '/-/reload', needs: 'admin', ok: 200 },
    {
      endpoint: 'POST /api/v1/pause',
      method: 'POST',
      path: () => '/api/v1/pause',
      needs: 'admin',
      ok: 200,
      body: { reason: 'table test' },
    },
    { endpoint: 'POST /api/v1/resume', method: 'POST', path: () => '/api/v1/resume', needs: 'admin', ok: 200 },
    {
      endpoint: 'POST /api/v1/breakers/:rule/close',
      method: 'POST',
      path: () => '/api/v1/breakers/web-echo/close',
      needs: 'admin',
      ok: 200,
    },
    { endpoint: 'GET /api/v1/audit', method: 'GET', path: () => '/api/v1/audit', needs: 'admin', ok: 200 },
  ];

  test.each(table.map((row, i) => [row.endpoint, row, i] as const))('%s', async (_name, row, i) => {
    const call = (o: { token?: string; from?: string }) =>
      httpCall(s.url, row.method, row.path(), { ...o, ...(row.body !== undefined ? { body: row.body } : {}) });
    const from = `127.0.0.${20 + i}`;
    const none = await call({ from });
    expect([row.endpoint, 'no token', none.status, none.body.error.code]).toEqual([
      row.endpoint,
      'no token',
      401,
      'UNAUTHENTICATED',
    ]);
    const unknown = await call({ token: 'rune_not-a-real-token', from });
    expect([row.endpoint, 'unknown token', unknown.status]).toEqual([row.endpoint, 'unknown token', 401]);
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const r = await call({ token: TOKENS[role] });
      if (RANK[role] >= RANK[row.needs]) {
        expect([row.endpoint, role, r.status]).toEqual([row.endpoint, role, row.ok]);
      } else {
        expect([row.endpoint, role, r.status, r.body.error.code]).toEqual([row.endpoint, role, 403, 'FORBIDDEN']);
        expect(r.body.error.message).toBe(
          `${row.endpoint} needs role ${row.needs}; token ${NAMES[role]} has role ${role}`,
        );
      }
    }
  });

  test('a refusal is audited with the token, its role and the reason', () => {
    const refused = s.store.queryAudit({ action: 'refused', limit: 100 });
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.find((a) => a.actor === 'vera' && a.target === 'POST /api/v1/pause')).toMatchObject({
      details: { role: 'viewer', reason: 'POST /api/v1/pause needs role admin; token vera has role viewer' },
    });
  });

  test("an operator's actions= and nodes= limit what it may run, retry and cancel", async () => {
    const run = (body: unknown) => httpCall(s.url, 'POST', '/api/v1/jobs', { token: TOKENS.scoped, body });
    const ok = await run({ action: 'echo', node: 'web-7', reason: 'in scope' });
    expect(ok.status).toBe(202);
    const otherNode = await run({ action: 'echo', node: 'db-1' });
    expect(otherNode.status).toBe(403);
    expect(otherNode.body.error.message).toBe('token sam may not run node db-1 (it may touch web-*)');
    const otherAction = await run({ action: 'fail', node: 'web-7' });
    expect(otherAction.status).toBe(403);
    expect(otherAction.body.error.message).toBe('token sam may not run action fail (it may run echo)');
    // A job outside its scope, started by an admin, cannot be retried or cancelled by it either.
    const dbJob = await httpCall(s.url, 'POST', '/api/v1/jobs', {
      token: TOKENS.admin,
      body: { action: 'echo', node: 'db-1' },
    });
    expect(
      (await httpCall(s.url, 'POST', `/api/v1/jobs/${dbJob.body.job_id}/retry`, { token: TOKENS.scoped })).status,
    ).toBe(403);
    expect(
      (await httpCall(s.url, 'POST', `/api/v1/jobs/${dbJob.body.job_id}/cancel`, { token: TOKENS.scoped })).status,
    ).toBe(403);
    expect(
      (await httpCall(s.url, 'POST', `/api/v1/jobs/${ok.body.job_id}/retry`, { token: TOKENS.scoped })).status,
    ).toBe(202);
    // Reading is not narrowed; admin acts are not an operator's.
    expect((await httpCall(s.url, 'GET', `/api/v1/jobs/${dbJob.body.job_id}`, { token: TOKENS.scoped })).status).toBe(
      200,
    );
    expect((await httpCall(s.url, 'POST', '/api/v1/pause', { token: TOKENS.scoped })).status).toBe(403);
    await s.queue.idle();
    expect(s.store.getJob(ok.body.job_id)!.trigger).toMatchObject({ kind: 'api', actor: 'sam' });
  });
});

describe('failed authentication is rate limited per address', () => {
  test('10 failures a minute: then failures get 429, Retry-After; good tokens, other addresses do not', async () => {
    const log = recordingLog();
    const s = await startTestServer({
      dir,
      name: 'limit',
      config,
      plugins,
      env: {
        RUNE_PUBLIC_URL: 'https://rune.example.com',
        RUNE_API_TOKENS_FILE: tokensFile,
        RUNE_WEBHOOK_TOKEN: AM_TOKEN,
      },
      log,
    });
    try {
      // Successes do not count: many of them, then still 10 failures before the limit.
      for (let i = 0; i < 15; i++)
        expect(
          (await httpCall(s.url, 'GET', '/api/v1/guards', { token: TOKENS.viewer, from: '127.0.0.60' })).status,
        ).toBe(200);
      for (let i = 0; i < 10; i++)
        expect(
          (await httpCall(s.url, 'GET', '/api/v1/jobs', { token: `rune_guess-${i}`, from: '127.0.0.60' })).status,
        ).toBe(401);
      const limited = await httpCall(s.url, 'GET', '/api/v1/jobs', { token: 'rune_guess-10', from: '127.0.0.60' });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('TOO_MANY_FAILURES');
      const after = Number(limited.headers['retry-after']);
      expect(after).toBeGreaterThan(0);
      expect(after).toBeLessThanOrEqual(60);
      // While limited, that address's failures stay 429, but a good token is served (issue #12 item 7)...
      expect(
        (await httpCall(s.url, 'GET', '/api/v1/jobs', { token: 'rune_guess-11', from: '127.0.0.60' })).status,
      ).toBe(429);
      expect((await httpCall(s.url, 'GET', '/api/v1/jobs', { token: TOKENS.viewer, from: '127.0.0.60' })).status).toBe(
        200,
      );
      // ...and another address is not affected.
      expect((await httpCall(s.url, 'GET', '/api/v1/jobs', { token: 'rune_guess-0', from: '127.0.0.61' })).status).toBe(
        401,
      );
      expect(log.messages('warn').some((w) => w.includes('failed authentication limit reached for 127.0.0.60'))).toBe(
        true,
      );

      // The Alertmanager webhook token check counts too.
      const am = (token: string) =>
        httpCall(s.url, 'POST', '/webhooks/alertmanager', { token, body: {}, from: '127.0.0.62' });
      for (let i = 0; i < 10; i++) expect((await am('wrong')).status).toBe(401);
      expect((await am('wrong')).status).toBe(429);
      // The right token passes authentication: what is refused now is only its (empty) payload.
      expect((await am(AM_TOKEN)).body.error.code).toBe('INVALID_PAYLOAD');
    } finally {
      await s.close(5000);
    }
  });
});

describe('cancel', () => {
  test('queued job: cancelled and reported; running: 409 JOB_RUNNING; finished: 409 JOB_FINISHED', async () => {
    const s = await start('cancel', { concurrency: 1 });
    try {
      const run = (node: string) =>
        httpCall(s.url, 'POST', '/api/v1/jobs', { token: TOKENS.operator, body: { action: 'slow', node } });
      const first = (await run('web-1')).body.job_id as string;
      const second = (await run('web-2')).body.job_id as string;
      await waitFor(() => s.store.getJob(first)?.status === 'running', 'the first job to run');
      expect(s.store.getJob(second)!.status).toBe('queued');

      // slow is mutating: stopping it half-way needs force.
      const running = await httpCall(s.url, 'POST', `/api/v1/jobs/${first}/cancel`, { token: TOKENS.operator });
      expect(running.status).toBe(409);
      expect(running.body.error).toMatchObject({
        code: 'JOB_RUNNING',
        message: expect.stringContaining('Send "force": true'),
      });
      expect(s.store.getJob(first)!.status).toBe('running');

      const queued = await httpCall(s.url, 'POST', `/api/v1/jobs/${second}/cancel`, {
        token: TOKENS.operator,
        body: { reason: 'not needed after all' },
      });
      expect(queued.status).toBe(200);
      expect(queued.body).toEqual({
        status: 'cancelled',
        job_id: second,
        reason: 'cancelled: by otto: not needed after all',
      });
      await s.queue.idle();
      const job = s.store.getJob(second)!;
      expect(job).toMatchObject({
        status: 'cancelled',
        reason: 'cancelled: by otto: not needed after all',
        startedAt: null,
      });
      expect(job.result).toMatchObject({
        status: 'cancelled',
        summary: 'cancelled: cancelled: by otto: not needed after all',
      });
      expect(s.store.getJob(first)!.status).toBe('succeeded');

      const finished = await httpCall(s.url, 'POST', `/api/v1/jobs/${first}/cancel`, { token: TOKENS.operator });
      expect(finished.status).toBe(409);
      expect(finished.body.error.code).toBe('JOB_FINISHED');
      expect(
        (await httpCall(s.url, 'POST', `/api/v1/jobs/${second}/cancel`, { token: TOKENS.operator })).body.error.code,
      ).toBe('JOB_FINISHED');
      expect((await httpCall(s.url, 'POST', '/api/v1/jobs/nope/cancel', { token: TOKENS.operator })).status).toBe(404);
      expect(s.store.queryAudit({ action: 'cancel', limit: 10 })).toEqual([
        expect.objectContaining({
          actor: 'otto',
          target: 'slow on web-2',
          details: { job_id: second, reason: 'not needed after all' },
        }),
      ]);
    } finally {
      await s.close(5000);
    }
  });

  test('"force": true stops a running mutating job: 202 cancelling, then cancelled with reason, audited', async () => {
    const s = await start('cancel-force', { concurrency: 1 });
    try {
      const id = (
        await httpCall(s.url, 'POST', '/api/v1/jobs', {
          token: TOKENS.operator,
          body: { action: 'slow', node: 'web-7' },
        })
      ).body.job_id as string;
      await waitFor(() => s.store.getJob(id)?.status === 'running', 'the job to run');
      expect(
        (await httpCall(s.url, 'POST', `/api/v1/jobs/${id}/cancel`, { token: TOKENS.operator, body: { force: 'yes' } }))
          .status,
      ).toBe(400);
      const started = Date.now();
      const res = await httpCall(s.url, 'POST', `/api/v1/jobs/${id}/cancel`, {
        token: TOKENS.operator,
        body: { force: true, reason: 'wrong node' },
      });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ status: 'cancelling', job_id: id, reason: 'cancelled: by otto: wrong node' });
      await waitFor(() => s.store.getJob(id)?.finishedAt, 'the job to end');
      expect(Date.now() - started).toBeLessThan(1500); // stopped, not slept out
      expect(s.store.getJob(id)).toMatchObject({
        status: 'cancelled',
        result: {
          status: 'cancelled',
          error: { code: 'RUN_CANCELLED' },
          summary: expect.stringContaining('cancelled: by otto: wrong node'),
        },
      });
      expect(s.store.queryAudit({ action: 'cancel', limit: 10 })).toEqual([
        expect.objectContaining({
          actor: 'otto',
          target: 'slow on web-7',
          details: { job_id: id, reason: 'wrong node', running: true, force: true },
        }),
      ]);
      // Too late now: it has ended.
      expect(
        (await httpCall(s.url, 'POST', `/api/v1/jobs/${id}/cancel`, { token: TOKENS.operator, body: { force: true } }))
          .body.error.code,
      ).toBe('JOB_FINISHED');
    } finally {
      await s.close(5000);
    }
  });
});

describe('audit', () => {
  test('every trigger and admin act is recorded with actor, source, what, target and why', async () => {
    const s = await start('audit', { dryRun: true });
    try {
      const op = { token: TOKENS.operator };
      const ad = { token: TOKENS.admin };
      const run = await httpCall(s.url, 'POST', '/api/v1/jobs', {
        ...op,
        body: { action: 'echo', node: 'web-1', reason: 'checking by hand' },
      });
      await s.queue.idle();
      await httpCall(s.url, 'POST', `/api/v1/jobs/${run.body.job_id}/retry`, { ...op, body: { reason: 'once more' } });
      await httpCall(s.url, 'POST', '/api/v1/pause', { ...ad, body: { reason: 'maintenance' } });
      await httpCall(s.url, 'POST', '/api/v1/resume', { ...ad, body: { reason: 'maintenance over' } });
      await httpCall(s.url, 'POST', '/api/v1/breakers/web-echo/close', { ...ad, body: { reason: 'fixed the cause' } });
      await httpCall(s.url, 'POST', '/-/reload', { ...ad, body: { reason: 'new rules' } });
      const r = await httpCall(s.url, 'GET', '/api/v1/audit?limit=1000', ad);
      expect(r.status).toBe(200);
      const byAction = (a: string) => (r.body.records as any[]).find((x) => x.action === a);
      const expected: [string, string, string, string][] = [
        ['run', 'otto', 'echo on web-1', 'checking by hand'],
        ['retry', 'otto', 'echo on web-1', 'once more'],
        ['pause', 'ada', 'automatic runs', 'maintenance'],
        ['resume', 'ada', 'automatic runs', 'maintenance over'],
        ['breaker-close', 'ada', 'rule web-echo', 'fixed the cause'],
        ['reload', 'ada', 'rules and tokens', 'new rules'],
      ];
      for (const [action, actor, target, reason] of expected) {
        const rec = byAction(action);
        expect([action, rec?.actor, rec?.target, rec?.details.reason]).toEqual([action, actor, target, reason]);
        expect(rec.source).toMatch(/127\.0\.0\.1$/);
        expect(Date.parse(rec.at)).not.toBeNaN();
      }
      expect(byAction('retry').details.retry_of).toBe(run.body.job_id);
    } finally {
      await s.close(5000);
    }
  });

  test('GET /api/v1/audit filters by since, actor and action, pages with a cursor, and is admin only', async () => {
    const s = await start('audit-api', { dryRun: true });
    try {
      const ad = { token: TOKENS.admin };
      for (let i = 0; i < 5; i++) await httpCall(s.url, 'POST', '/api/v1/pause', { ...ad, body: { reason: `p${i}` } });
      expect(
        (
          await httpCall(s.url, 'POST', '/api/v1/jobs', {
            token: TOKENS.operator,
            body: { action: 'echo', node: 'web-1', while_paused: true },
          })
        ).status,
      ).toBe(202);
      const get = async (q: string) => (await httpCall(s.url, 'GET', `/api/v1/audit${q}`, ad)).body;
      expect((await get('?action=pause')).records.map((x: any) => x.details.reason)).toEqual([
        'p4',
        'p3',
        'p2',
        'p1',
        'p0',
      ]);
      expect((await get('?actor=otto')).records.map((x: any) => x.action)).toEqual(['run']);
      const page1 = await get('?action=pause&limit=2');
      expect(page1.records.map((x: any) => x.details.reason)).toEqual(['p4', 'p3']);
      expect(page1.next_cursor).toEqual(expect.any(String));
      const page2 = await get(`?action=pause&limit=2&cursor=${page1.next_cursor}`);
      expect(page2.records.map((x: any) => x.details.reason)).toEqual(['p2', 'p1']);
      const page3 = await get(`?action=pause&limit=2&cursor=${page2.next_cursor}`);
      expect(page3.records.map((x: any) => x.details.reason)).toEqual(['p0']);
      expect(page3.next_cursor).toBeNull();
      expect((await get('?since=2999-01-01T00:00:00Z')).records).toEqual([]);
      expect((await get('?since=2000-01-01T00:00:00Z&actor=ada')).records).toHaveLength(5);
      for (const bad of ['?limit=0', '?limit=1001', '?since=yesterday', '?cursor=abc', '?who=me']) {
        const r = await httpCall(s.url, 'GET', `/api/v1/audit${bad}`, ad);
        expect([bad, r.status, r.body.error.code]).toEqual([bad, 400, 'BAD_REQUEST']);
      }
      expect((await httpCall(s.url, 'GET', '/api/v1/audit', { token: TOKENS.operator })).status).toBe(403);
    } finally {
      await s.close(5000);
    }
  });
});

describe('tokens file', () => {
  test('reload (and SIGHUP) re-reads it; an invalid file keeps the old tokens and says where', async () => {
    const file = join(dir, 'reload-tokens');
    writeFileSync(file, tokenLine('ada', 'admin', TOKENS.admin) + tokenLine('otto', 'operator', TOKENS.operator));
    const s = await start('tokens-reload', {}, { RUNE_API_TOKENS_FILE: file });
    try {
      writeFileSync(file, `${tokenLine('ada', 'admin', TOKENS.admin)}otto:rune_plaintext-secret\n`);
      const bad = await httpCall(s.url, 'POST', '/-/reload', { token: TOKENS.admin });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.problems).toEqual([
        expect.stringMatching(new RegExp(`^${file}:2: not a token line .*rune tokens add`)),
      ]);
      expect(JSON.stringify(bad.body)).not.toContain('rune_plaintext-secret');
      // old tokens serve
      expect((await httpCall(s.url, 'GET', '/api/v1/jobs', { token: TOKENS.operator })).status).toBe(200);

      writeFileSync(file, tokenLine('ada', 'admin', TOKENS.admin) + tokenLine('vera', 'viewer', TOKENS.viewer));
      expect(s.reload()).toEqual({ ok: true, problems: [] }); // what SIGHUP calls
      expect((await httpCall(s.url, 'GET', '/api/v1/jobs', { token: TOKENS.operator })).status).toBe(401);
      expect((await httpCall(s.url, 'GET', '/api/v1/jobs', { token: TOKENS.viewer })).status).toBe(200);
    } finally {
      await s.close(5000);
    }
  });

  test('--insecure-no-auth opens everything as an admin named so in the audit log', async () => {
    const s = await start('insecure', { insecureNoAuth: true }, { RUNE_API_TOKENS_FILE: '' });
    try {
      expect((await httpCall(s.url, 'POST', '/api/v1/pause', { body: { reason: 'lab' } })).status).toBe(200);
      expect((await httpCall(s.url, 'GET', '/api/v1/audit')).status).toBe(200);
      expect(s.store.queryAudit({ action: 'pause', limit: 1 })[0]).toMatchObject({
        actor: 'anonymous (--insecure-no-auth)',
        details: { reason: 'lab' },
      });
    } finally {
      await s.close(5000);
    }
  });
});
