/**
 * Issue #12, "Access" (items 7, 8, 9): attacks on who may do what, each through a real RUNE
 * (`startServer`, hashed tokens file, SQLite file, local transport) as an attacker or a user meets it.
 *
 * 7. Failed authentications from an address do not lock out a client of that address that
 *    authenticates: a Prometheus with an old token does not make Alertmanager's webhook a 429.
 * 8. A dashboard session is only as good as its token now: removed → signed out, role changed →
 *    the new role at once; one token signing in again and again does not sign anybody else out.
 * 9. `--insecure-no-auth` answers only requests addressed to a loopback name (no DNS rebinding).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { RunningServer } from '../../src/server/start-server';
import { alertmanagerPayload } from '../helpers/alertmanager-payload';
import { tokenLine } from '../helpers/api-tokens';
import { csrfOf, setCookies, signIn, type TestBrowser } from '../helpers/dashboard-client';
import { httpCall } from '../helpers/http-call';
import { recordingLog } from '../helpers/quiet-log';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir';
import { LOCAL_NODES, startTestServer, writeTestPlugins } from '../helpers/test-server';

const TOKENS = {
  viewer: 'rune_viewer-token-0101',
  operator: 'rune_operator-token-0102',
  admin: 'rune_admin-token-0103',
};
const AM_TOKEN = 'am-token-access-attacks';
const COOKIE = '__Host-rune_session'; // RUNE_PUBLIC_URL is https below
const config =
  `${LOCAL_NODES}rules:\n  - name: web-echo\n    matchers: ['alertname="WebDown"']\n` +
  `    node: "{{ labels.nodename }}"\n    steps: [{action: echo}]\n`;
const allTokens = () =>
  tokenLine('vera', 'viewer', TOKENS.viewer) +
  tokenLine('otto', 'operator', TOKENS.operator) +
  tokenLine('ada', 'admin', TOKENS.admin);

let dir: string;
let plugins: string;
let seq = 0;
beforeAll(() => {
  dir = makeTempDir('access-attacks');
  plugins = writeTestPlugins(dir);
});
afterAll(() => removeTempDir(dir));

/** A server on its own tokens file (the test may rewrite it and reload). */
async function start(name: string, o: { insecureNoAuth?: boolean; log?: ReturnType<typeof recordingLog> } = {}) {
  const tokensFile = join(dir, `${name}.tokens`);
  writeFileSync(tokensFile, allTokens());
  const s = await startTestServer({
    dir,
    name,
    config,
    plugins,
    env: o.insecureNoAuth
      ? {}
      : {
          RUNE_PUBLIC_URL: 'https://rune.example.com',
          RUNE_API_TOKENS_FILE: tokensFile,
          RUNE_WEBHOOK_TOKEN: AM_TOKEN,
        },
    ...(o.insecureNoAuth ? { insecureNoAuth: true } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  return { s, tokensFile };
}

const webhook = (s: RunningServer, from: string, token = AM_TOKEN) => {
  const n = ++seq;
  const rawBody = alertmanagerPayload(`{}:{alertname="WebDown",n="${n}"}`, [
    { labels: { alertname: 'WebDown', nodename: 'web-1' }, fingerprint: `a${String(n).padStart(15, '0')}` },
  ]);
  return httpCall(s.url, 'POST', '/webhooks/alertmanager', { token, rawBody, from });
};

describe('7. the failed-auth limit never refuses a request that authenticates', () => {
  test("a Prometheus with an old token does not lose Alertmanager's webhook from the same address", async () => {
    const { s } = await start('stale-scraper');
    try {
      const from = '127.0.0.71';
      for (let i = 0; i < 10; i++)
        expect((await httpCall(s.url, 'GET', '/metrics', { token: 'rune_revoked-old-token', from })).status).toBe(401);
      // The scraper goes on failing: now 429 with Retry-After, it should back off.
      const limited = await httpCall(s.url, 'GET', '/metrics', { token: 'rune_revoked-old-token', from });
      expect([limited.status, limited.body.error.code]).toEqual([429, 'TOO_MANY_FAILURES']);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

      // Alertmanager on the same host: its valid webhook is taken and the remediation runs.
      const am = await webhook(s, from);
      expect(am.status).toBe(202);
      expect(am.body.jobs).toHaveLength(1);
      await s.queue.idle();
      expect(s.store.getJob(am.body.jobs[0])).toMatchObject({ status: 'succeeded', request: { node: 'web-1' } });
      // So are valid API tokens, over Basic auth too, and a dashboard sign-in.
      expect((await httpCall(s.url, 'GET', '/metrics', { token: TOKENS.viewer, from })).status).toBe(200);
      const basic = `Basic ${Buffer.from(`x:${TOKENS.operator}`).toString('base64')}`;
      expect((await httpCall(s.url, 'GET', '/api/v1/jobs', { authorization: basic, from })).status).toBe(200);
      expect((await signInFrom(s.url, from, TOKENS.admin)).status).toBe(303);

      // Guessing from there is still refused as before: wrong webhook tokens and API tokens get 429.
      expect((await webhook(s, from, 'guess-1')).status).toBe(429);
      expect((await httpCall(s.url, 'GET', '/api/v1/jobs', { token: 'rune_guess-2', from })).status).toBe(429);
      expect((await signInFrom(s.url, from, 'rune_guess-3')).status).toBe(429);
      expect(s.store.listJobs({ limit: 10 })).toHaveLength(1);
    } finally {
      await s.close(5000);
    }
  });
});

/** A dashboard sign-in through the form from a chosen address: the POST's answer. */
async function signInFrom(url: string, from: string, token: string) {
  const form = await httpCall(url, 'GET', '/login', { from });
  const cookie = ([] as string[])
    .concat(form.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0])
    .join('; ');
  const rawBody = Buffer.from(new URLSearchParams({ _csrf: csrfOf(String(form.body)), token, next: '/' }).toString());
  return httpCall(url, 'POST', '/login', {
    from,
    rawBody,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
  });
}

describe('8. a dashboard session holds only while its token does', () => {
  let s: RunningServer;
  let tokensFile: string;
  let jobId: string;
  beforeAll(async () => {
    ({ s, tokensFile } = await start('sessions'));
    const r = await httpCall(s.url, 'POST', '/api/v1/jobs', {
      token: TOKENS.admin,
      body: { action: 'echo', node: 'web-1' },
    });
    jobId = r.body.job_id;
    await s.queue.idle();
  });
  afterAll(() => s?.close(5000));
  afterEach(() => {
    writeFileSync(tokensFile, allTokens());
    expect(s.reload().ok).toBe(true);
  });

  const rerun = (b: TestBrowser) =>
    request(s.url).post(`/jobs/${jobId}/rerun`).set('Cookie', b.cookie).type('form').send({ _csrf: b.csrf });
  const jobCount = () => s.store.listJobs({ limit: 500 }).length;

  test('`rune tokens remove` and a reload sign its sessions out: no re-run as that token any more', async () => {
    const otto = await signIn(s.url, TOKENS.operator, COOKIE);
    expect((await rerun(otto)).status).toBe(303); // works while the token is there
    await s.queue.idle();

    writeFileSync(tokensFile, tokenLine('ada', 'admin', TOKENS.admin) + tokenLine('vera', 'viewer', TOKENS.viewer));
    expect(s.reload()).toEqual({ ok: true, problems: [] });
    const before = jobCount();
    const refused = await rerun(otto);
    expect(refused.status).toBe(401);
    expect(refused.text).toContain('its token is no longer in the tokens file');
    expect(jobCount()).toBe(before);
    expect(s.store.queryAudit({ actor: 'otto', action: 'retry', limit: 10 })).toHaveLength(1); // the first only
    const page = await request(s.url).get('/').set('Cookie', otto.cookie);
    expect([page.status, page.headers.location]).toEqual([303, '/login?next=%2F']);
    // Putting the token back does not bring that session back.
    writeFileSync(tokensFile, allTokens());
    s.reload();
    expect((await request(s.url).get('/').set('Cookie', otto.cookie)).status).toBe(303);
  });

  test('a role changed in the tokens file applies to open sessions at the next request', async () => {
    const otto = await signIn(s.url, TOKENS.operator, COOKIE);
    const vera = await signIn(s.url, TOKENS.viewer, COOKIE);
    writeFileSync(
      tokensFile,
      tokenLine('ada', 'admin', TOKENS.admin) +
        tokenLine('otto', 'viewer', TOKENS.operator) +
        tokenLine('vera', 'operator', TOKENS.viewer),
    );
    expect(s.reload().ok).toBe(true);
    const before = jobCount();
    const demoted = await rerun(otto);
    expect(demoted.status).toBe(403);
    expect(demoted.text).toContain('otto (viewer) may not re-run');
    expect(jobCount()).toBe(before);
    expect((await request(s.url).get(`/jobs/${jobId}`).set('Cookie', otto.cookie)).text).not.toContain('Re-run…');
    const promoted = await rerun(vera);
    expect(promoted.status).toBe(303);
    await s.queue.idle();
    expect(s.store.getJob((promoted.headers.location as string).slice('/jobs/'.length))!.trigger.actor).toBe('vera');
  });

  test('a viewer signing in 1,000 times does not sign anybody else out', async () => {
    const ada = await signIn(s.url, TOKENS.admin, COOKIE);
    const otto = await signIn(s.url, TOKENS.operator, COOKIE);
    const form = await request(s.url).get('/login');
    const loginCookie = Object.entries(setCookies(form))
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
    const sessions: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const r = await request(s.url)
        .post('/login')
        .set('Cookie', loginCookie)
        .type('form')
        .send({ _csrf: csrfOf(form.text), token: TOKENS.viewer, next: '/' });
      expect(r.status).toBe(303);
      sessions.push(setCookies(r)[COOKIE] as string);
    }
    for (const b of [ada, otto]) expect((await request(s.url).get('/').set('Cookie', b.cookie)).status).toBe(200);
    // The viewer's own newest sessions live; its oldest went first.
    const latest = `${COOKIE}=${sessions[sessions.length - 1]}`;
    expect((await request(s.url).get('/').set('Cookie', latest)).status).toBe(200);
    expect((await request(s.url).get('/').set('Cookie', `${COOKIE}=${sessions[0]}`)).status).toBe(303);
  });
});

describe('9. --insecure-no-auth answers only loopback host names', () => {
  let s: RunningServer;
  let log: ReturnType<typeof recordingLog>;
  beforeAll(async () => {
    log = recordingLog();
    ({ s } = await start('insecure-host', { insecureNoAuth: true, log }));
  });
  afterAll(() => s?.close(5000));

  const port = () => new URL(s.url).port;
  const asHost = (host: string, method: 'GET' | 'POST', path: string, body?: unknown) =>
    httpCall(s.url, method, path, { headers: { host }, ...(body !== undefined ? { body } : {}) });

  test('a page of evil.example rebound to 127.0.0.1 gets a 4xx that says why, and changes nothing', async () => {
    for (const host of [
      `rebind.evil.example:${port()}`,
      'rebind.evil.example',
      `10.0.0.5:${port()}`,
      'localhost.evil',
    ]) {
      const paused = await asHost(host, 'POST', '/api/v1/pause', { reason: 'rebound' });
      expect([host, paused.status, paused.body.error?.code]).toEqual([host, 421, 'HOST_NOT_LOOPBACK']);
      expect(paused.body.error.message).toContain('--insecure-no-auth');
      expect(paused.body.error.message).toContain('localhost, 127.0.0.0/8 or [::1]');
    }
    expect(s.store.getPause()).toBeNull();
    expect((await asHost('rebind.evil.example', 'GET', '/api/v1/jobs')).status).toBe(421);
    const page = await asHost('rebind.evil.example', 'GET', '/');
    expect(page.status).toBe(421);
    expect(page.headers['set-cookie']).toBeUndefined(); // no session for it either
    const am = await asHost('rebind.evil.example', 'POST', '/webhooks/alertmanager', {});
    expect(am.status).toBe(421);
  });

  test('localhost, 127.0.0.0/8 and [::1] (with or without the port) are served', async () => {
    for (const host of [
      'localhost',
      `localhost:${port()}`,
      `LocalHost:${port()}`,
      '127.0.0.1',
      `127.9.8.7:${port()}`,
      '[::1]',
      `[::1]:${port()}`,
    ]) {
      const r = await asHost(host, 'GET', '/api/v1/jobs');
      expect([host, r.status]).toEqual([host, 200]);
    }
  });

  test('rune serve says so at start', () => {
    expect(log.messages('warn').some((m) => m.includes('only requests to localhost, 127.0.0.0/8 or [::1]'))).toBe(true);
  });

  test('with authentication on, the host name is not checked (tokens guard every request)', async () => {
    const { s: authed } = await start('any-host');
    try {
      const r = await httpCall(authed.url, 'GET', '/api/v1/jobs', {
        token: TOKENS.viewer,
        headers: { host: 'rune.example.com' },
      });
      expect(r.status).toBe(200);
    } finally {
      await authed.close(5000);
    }
  });
});
