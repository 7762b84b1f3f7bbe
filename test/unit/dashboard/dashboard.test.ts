/**
 * The dashboard (issue #6, part 2) over HTTP: the real app (`startServer`, SQLite file, the shipped
 * plugins on the local transport), signed in through the form as each role: the tokens are in a
 * real RUNE_API_TOKENS_FILE (hashes, as `rune tokens add` writes them).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { Actor } from '../../../src/auth/actor';
import { jobUrl } from '../../../src/reporters/render-note';
import type { RunningServer } from '../../../src/server/start-server';
import type { Job } from '../../../src/core/job';
import { alertmanagerPayload } from '../../helpers/alertmanager-payload';
import { tokenLine } from '../../helpers/api-tokens';
import { httpCall } from '../../helpers/http-call';
import { waitFor } from '../../helpers/wait-for';
import { csrfOf, setCookies, signIn, type TestBrowser } from '../../helpers/dashboard-client';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';
import { startTestServer } from '../../helpers/test-server';

const AM_TOKEN = 'am-token-dashboard';
const COOKIE = '__Host-rune_session'; // RUNE_PUBLIC_URL is https below
const HOSTILE = '<script>alert("pwned")</script>';
const ACTORS: Record<string, Actor> = {
  'admin-token-0001': { name: 'ada', role: 'admin', actions: null, nodes: null },
  'operator-token-02': { name: 'otto', role: 'operator', actions: ['noop'], nodes: ['local*'] },
  'viewer-token-0003': { name: 'vera', role: 'viewer', actions: null, nodes: null },
};
const TOKEN = { admin: 'admin-token-0001', operator: 'operator-token-02', viewer: 'viewer-token-0003' };

let dir: string;
let s: RunningServer;
let seq = 0;

const rules = `nodes:
  - {name: localhost, transport: local}
  - {name: db-1, transport: local}
rules:
  - name: check-node
    description: 'Checks <b>the</b> node ${HOSTILE}'
    matchers: ['alertname="DiskCheck"']
    node: "{{ labels.node }}"
    steps:
      - action: noop
        params: {message: "{{ labels.note }}"}
      - action: disk-usage
`;

async function fire(labels: Record<string, string>): Promise<Job[]> {
  const body = alertmanagerPayload(`{}:{alertname="DiskCheck",n="${++seq}"}`, [
    { labels: { alertname: 'DiskCheck', ...labels }, fingerprint: `d${String(seq).padStart(15, '0')}` },
  ]);
  const res = await fetch(`${s.url}/webhooks/alertmanager`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${AM_TOKEN}` },
    body,
  });
  const ids = ((await res.json()) as { jobs: string[] }).jobs;
  return waitFor(
    () => {
      const jobs = ids.map((id) => s.store.getJob(id) as Job);
      return jobs.every((j) => j.finishedAt) ? jobs : null;
    },
    'the alert jobs to finish',
    20_000,
  );
}

/** A job stored queued and never handed to the queue: it stays queued (something to cancel). */
function storeQueued(extra: Partial<Job> = {}): Job {
  const id = `queued-${++seq}`;
  return s.store.createJobs([
    {
      id,
      traceId: 't'.repeat(32),
      request: { action: 'noop', node: 'localhost', params: {}, dryRun: false, pluginDryRun: false },
      trigger: { kind: 'api', actor: 'someone' },
      alert: null,
      incident: null,
      chainId: null,
      step: 0,
      after: null,
      stopOnFailureOf: true,
      notify: [],
      mutating: false,
      createdAt: new Date().toISOString(),
      ...extra,
    },
  ]).jobs[0] as Job;
}

const get = (path: string, b?: TestBrowser) =>
  b ? request(s.url).get(path).set('Cookie', b.cookie) : request(s.url).get(path);
const post = (path: string, b: TestBrowser | null, form: Record<string, string>) => {
  const r = request(s.url).post(path).type('form');
  return (b ? r.set('Cookie', b.cookie) : r).send(form);
};
const jobCount = () => s.store.listJobs({ limit: 500 }).length;

let admin: TestBrowser;
let operator: TestBrowser;
let viewer: TestBrowser;
let noopJob: Job;
let diskJob: Job;
let dbJob: Job;

beforeAll(async () => {
  dir = makeTempDir('dashboard');
  writeFileSync(
    join(dir, 'tokens'),
    Object.entries(ACTORS)
      .map(([token, a]) =>
        tokenLine(a.name, a.role, token, {
          ...(a.actions ? { actions: a.actions } : {}),
          ...(a.nodes ? { nodes: a.nodes } : {}),
        }),
      )
      .join(''),
  );
  s = await startTestServer({
    dir,
    name: 'rules',
    config: rules,
    env: {
      RUNE_WEBHOOK_TOKEN: AM_TOKEN,
      RUNE_API_TOKENS_FILE: join(dir, 'tokens'),
      RUNE_PUBLIC_URL: 'https://rune.example.com',
    },
  });
  [noopJob, diskJob] = (await fire({ node: 'localhost', note: HOSTILE })) as [Job, Job];
  [dbJob] = (await fire({ node: 'db-1', note: 'db' })) as [Job];
  admin = await signIn(s.url, TOKEN.admin, COOKIE);
  operator = await signIn(s.url, TOKEN.operator, COOKIE);
  viewer = await signIn(s.url, TOKEN.viewer, COOKIE);
}, 60_000);

afterAll(async () => {
  await s?.close(5000);
  removeTempDir(dir);
});

describe('signing in', () => {
  test('sign-in failures per address: 10 bad tokens, then 429 for the next bad one; a good one signs in', async () => {
    const from = '127.0.0.61';
    const attempt = async (token: string) => {
      const form = await httpCall(s.url, 'GET', '/login', { from });
      const cookies = ([] as string[])
        .concat(form.headers['set-cookie'] ?? [])
        .map((c) => c.split(';')[0])
        .join('; ');
      const body = Buffer.from(new URLSearchParams({ _csrf: csrfOf(String(form.body)), token, next: '/' }).toString());
      return httpCall(s.url, 'POST', '/login', {
        from,
        rawBody: body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies },
      });
    };
    for (let i = 0; i < 10; i++) expect((await attempt(`wrong-token-${i}`)).status).toBe(401);
    const limited = await attempt('wrong-token-10');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(String(limited.body)).toContain('Too many failed authentications from 127.0.0.61');
    // The API shares the count for that address; a good token still signs in, there and elsewhere.
    expect((await httpCall(s.url, 'GET', '/api/v1/jobs', { from, token: 'wrong-token-11' })).status).toBe(429);
    expect((await attempt(TOKEN.admin)).status).toBe(303);
    await signIn(s.url, TOKEN.viewer, COOKIE);
  });

  test('pages redirect to the sign-in form when not signed in, keeping where you were going', async () => {
    for (const path of ['/', `/jobs/${noopJob.id}`, `/jobs/${noopJob.id}/rerun`, '/actions', '/rules']) {
      const res = await get(path);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
  });

  test('a POST without a session is refused and starts nothing', async () => {
    const before = jobCount();
    const res = await post(`/jobs/${noopJob.id}/rerun`, null, { _csrf: admin.csrf });
    expect(res.status).toBe(401);
    expect(res.text).toContain('not signed in');
    expect(jobCount()).toBe(before);
  });

  test('session cookie is HttpOnly, SameSite=Strict, Path=/, Secure (https public URL); sign-in audited', async () => {
    const form = await get('/login');
    expect(form.status).toBe(200);
    expect(form.text).toContain('type="password"');
    const loginCookie = (form.headers['set-cookie'] as unknown as string[])[0] as string;
    expect(loginCookie).toMatch(/^__Host-rune_login=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
    const res = await request(s.url)
      .post('/login')
      .set('Cookie', loginCookie.split(';')[0] as string)
      .type('form')
      .send({ _csrf: csrfOf(form.text), token: TOKEN.viewer, next: '/rules' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/rules');
    const session = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith(COOKIE)) as string;
    expect(session).toMatch(/^__Host-rune_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
    expect(s.store.listAudit(5).find((a) => a.action === 'sign-in' && a.actor === 'vera')).toMatchObject({
      target: 'dashboard',
      details: { role: 'viewer' },
    });
  });

  test('an unknown token is refused with the form again, and no session', async () => {
    const form = await get('/login');
    const res = await request(s.url)
      .post('/login')
      .set('Cookie', `__Host-rune_login=${setCookies(form)['__Host-rune_login']}`)
      .type('form')
      .send({ _csrf: csrfOf(form.text), token: 'not-a-token' });
    expect(res.status).toBe(401);
    expect(res.text).toContain('That token is not known');
    expect(setCookies(res)[COOKIE]).toBeUndefined();
  });

  test('the sign-in form without its CSRF cookie is refused', async () => {
    const form = await get('/login');
    const res = await request(s.url)
      .post('/login')
      .type('form')
      .send({ _csrf: csrfOf(form.text), token: TOKEN.admin });
    expect(res.status).toBe(403);
    expect(res.text).toContain('CSRF');
    expect(setCookies(res)[COOKIE]).toBeUndefined();
  });

  test('next= never leads off the site', async () => {
    const form = await get('/login?next=//evil.example/x');
    expect(form.text).toContain('name="next" value="/"');
    const res = await request(s.url)
      .post('/login')
      .set('Cookie', `__Host-rune_login=${setCookies(form)['__Host-rune_login']}`)
      .type('form')
      .send({ _csrf: csrfOf(form.text), token: TOKEN.viewer, next: 'https://evil.example/' });
    expect(res.headers.location).toBe('/');
  });

  test('sign out needs the CSRF token, then the session is gone', async () => {
    const b = await signIn(s.url, TOKEN.viewer, COOKIE);
    expect((await post('/logout', b, {})).status).toBe(403);
    expect((await get('/', b)).status).toBe(200);
    const out = await post('/logout', b, { _csrf: b.csrf });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/login');
    expect(out.headers['set-cookie']?.[0]).toContain('Max-Age=0');
    expect((await get('/', b)).status).toBe(303);
  });

  test('pages carry the security headers and are not cached', async () => {
    const res = await get(`/jobs/${noopJob.id}`, viewer);
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).not.toMatch(/<script/i); // no script at all: the CSP allows none
  });
});

describe('pages for each role', () => {
  test.each(['admin', 'operator', 'viewer'] as const)('%s sees every page', async (role) => {
    const b = { admin, operator, viewer }[role];
    const jobs = await get('/', b);
    expect(jobs.status).toBe(200);
    expect(jobs.text).toContain(`href="/jobs/${noopJob.id}"`);
    expect(jobs.text).toContain(`${ACTORS[TOKEN[role]]!.name} <span class="role">${role}</span>`);
    const job = await get(`/jobs/${diskJob.id}`, b);
    expect(job.status).toBe(200);
    expect(job.text).toContain('disk-usage on localhost');
    const actions = await get('/actions', b);
    expect(actions.status).toBe(200);
    expect(actions.text).toContain('<code>warn_percent</code></td><td>integer</td><td>no</td><td><code>90</code></td>');
    const rulesPage = await get('/rules', b);
    expect(rulesPage.status).toBe(200);
    expect(rulesPage.text).toContain('<code>alertname=&quot;DiskCheck&quot;</code>');
  });

  test('Re-run shows where the role allows: admin: all; operator: its action and nodes; viewer: none', async () => {
    const has = async (b: TestBrowser, j: Job) =>
      (await get(`/jobs/${j.id}`, b)).text.includes(`href="/jobs/${j.id}/rerun"`);
    expect([await has(admin, noopJob), await has(admin, diskJob), await has(admin, dbJob)]).toEqual([true, true, true]);
    expect([await has(operator, noopJob), await has(operator, diskJob), await has(operator, dbJob)]).toEqual([
      true,
      false,
      false,
    ]);
    expect([await has(viewer, noopJob), await has(viewer, diskJob), await has(viewer, dbJob)]).toEqual([
      false,
      false,
      false,
    ]);
  });

  test('the server refuses a re-run the role does not allow, whatever the browser sends', async () => {
    const before = jobCount();
    for (const [b, j] of [
      [viewer, noopJob],
      [operator, diskJob],
      [operator, dbJob],
    ] as const) {
      expect((await get(`/jobs/${j.id}/rerun`, b)).status).toBe(403);
      const res = await post(`/jobs/${j.id}/rerun`, b, { _csrf: b.csrf, 'p.message': 'x' });
      expect(res.status).toBe(403);
      expect(res.text).toContain('may not re-run');
    }
    expect(jobCount()).toBe(before);
  });

  test('an unknown job is a 404 page', async () => {
    const res = await get('/jobs/no-such-job', viewer);
    expect(res.status).toBe(404);
    expect(res.type).toBe('text/html');
    expect(res.text).toContain('No such job');
  });

  test('the job page shows the result, output tails, trigger and a timeline', async () => {
    const res = await get(`/jobs/${noopJob.id}`, viewer);
    expect(res.text).toContain('<dt>Exit code</dt><dd>0</dd>');
    expect(res.text).toContain('stdout (tail)');
    expect(res.text).toContain('alert → rule check-node');
    expect(res.text).toContain('guards of rule check-node admitted the run');
    expect(res.text).toMatch(/started on localhost over local/);
    expect(res.text).toContain('finished: succeeded');
    const second = await get(`/jobs/${diskJob.id}`, viewer);
    expect(second.text).toContain(
      `waits for the previous step (and is skipped if it fails) <a href="/jobs/${noopJob.id}">`,
    );
  });

  test('the link in PagerDuty and Slack notes is the job page', async () => {
    const link = new URL(jobUrl(noopJob.id, 'https://rune.example.com'));
    const res = await get(link.pathname, viewer);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`Job <code>${noopJob.id}</code>`);
  });
});

describe('hostile content shows as text', () => {
  test('a <script> label, param and output are escaped on the job, jobs and rules pages', async () => {
    const escaped = '&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;';
    for (const path of [`/jobs/${noopJob.id}`, '/', '/rules']) {
      const res = await get(path, viewer);
      expect(res.text).not.toContain(HOSTILE);
      expect(res.text).toContain(escaped);
    }
    const job = (await get(`/jobs/${noopJob.id}`, viewer)).text;
    expect(job).toContain(`<tr><th>note</th><td>${escaped}</td></tr>`); // the label
    expect(job).toContain(`&quot;message&quot;: &quot;${escaped.replace(/&quot;/g, '\\&quot;')}&quot;`); // the param, as JSON
  });

  test('an incident URL that is not http(s) is not a link; stored output cannot open a tag', async () => {
    const j = storeQueued({ incident: { provider: 'pagerduty', id: 'P"><b>x', url: 'javascript:alert(1)' } });
    s.store.finishJob(
      j.id,
      'failed',
      {
        job_id: j.id,
        trace_id: j.traceId,
        action: 'noop',
        action_version: '1',
        node: 'localhost',
        transport: 'local',
        dry_run: false,
        status: 'failed',
        started_at: j.createdAt,
        finished_at: j.createdAt,
        duration_ms: 5,
        exit_code: 1,
        summary: '<img src=x onerror=alert(1)>',
        data: { '<k>': '</pre>' },
        error: {
          code: 'PLUGIN_FAILED',
          message: '<svg onload=alert(1)>',
          stage: 'plugin',
          retryable: false,
          trace_id: j.traceId,
          details: {},
        },
        stdout_tail: '</pre><script>x()</script>',
        stderr_tail: '"><iframe>',
        truncated: false,
        trigger: j.trigger,
      },
      null,
      new Date().toISOString(),
    );
    const res = (await get(`/jobs/${j.id}`, viewer)).text;
    expect(res).not.toContain('javascript:');
    expect(res).toContain('pagerduty P&quot;&gt;&lt;b&gt;x');
    for (const bad of ['<img', '<svg', '<script', '<iframe', '<b>x']) expect(res).not.toContain(bad);
    expect(res).toContain('&lt;/pre&gt;&lt;script&gt;x()&lt;/script&gt;');
  });
});

describe('CSRF', () => {
  test.each([
    ['no token', {}],
    ['a wrong token', { _csrf: 'A'.repeat(43) }],
  ])('a re-run with %s is refused (403) and starts nothing', async (_what, extra) => {
    const before = jobCount();
    const res = await post(`/jobs/${noopJob.id}/rerun`, admin, { 'p.message': 'x', ...extra });
    expect(res.status).toBe(403);
    expect(res.text).toContain('CSRF token');
    expect(res.text).toContain('nothing was done');
    expect(jobCount()).toBe(before);
  });

  test("another session's token is refused too", async () => {
    const before = jobCount();
    const res = await post(`/jobs/${noopJob.id}/rerun`, admin, { _csrf: operator.csrf });
    expect(res.status).toBe(403);
    expect(jobCount()).toBe(before);
  });

  test('a cancel without the token cancels nothing', async () => {
    const j = storeQueued();
    expect((await post(`/jobs/${j.id}/cancel`, admin, { reason: 'x' })).status).toBe(403);
    expect(s.store.getJob(j.id)!.status).toBe('queued');
  });
});

describe('Re-run', () => {
  test('the confirmation page shows the params of the job, editable', async () => {
    const res = await get(`/jobs/${diskJob.id}/rerun`, admin);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Re-run disk-usage on localhost?');
    expect(res.text).toMatch(
      /<textarea id="p-paths" name="p.paths" placeholder="default: \[&quot;\/&quot;\]"><\/textarea>/,
    );
    expect(res.text).toContain('name="p.warn_percent" value="" placeholder="default: 90"');
    const noop = await get(`/jobs/${noopJob.id}/rerun`, admin);
    expect(noop.text).toContain(`name="p.message" value="&lt;script&gt;`);
  });

  test('invalid params are shown beside their field and start nothing', async () => {
    const before = jobCount();
    const res = await post(`/jobs/${diskJob.id}/rerun`, admin, {
      _csrf: admin.csrf,
      'p.paths': '["/", ',
      'p.warn_percent': '',
    });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/id="p-paths"[\s\S]*is not valid JSON/);
    const schema = await post(`/jobs/${diskJob.id}/rerun`, admin, {
      _csrf: admin.csrf,
      'p.paths': '[]',
      'p.warn_percent': '500',
    });
    expect(schema.status).toBe(400);
    expect(schema.text).toContain('params.paths must NOT have fewer than 1 items');
    expect(schema.text).toContain('params.warn_percent must be &lt;= 100');
    expect(schema.text).toContain('value="500"'); // what was typed stays in the form
    const type = await post(`/jobs/${diskJob.id}/rerun`, admin, { _csrf: admin.csrf, 'p.warn_percent': 'ninety' });
    expect(type.text).toContain('params.warn_percent must be integer');
    const extra = await post(`/jobs/${noopJob.id}/rerun`, admin, { _csrf: admin.csrf, params_extra: '{"bogus": 1}' });
    expect(extra.status).toBe(400);
    expect(extra.text).toMatch(/id="p-extra"[\s\S]*must NOT have additional properties &quot;bogus&quot;/);
    expect(jobCount()).toBe(before);
  });

  test('a valid re-run uses the API retry path: new job with edited params, audited with actor; its page', async () => {
    const res = await post(`/jobs/${diskJob.id}/rerun`, admin, {
      _csrf: admin.csrf,
      'p.paths': '["/tmp"]',
      'p.warn_percent': '95',
    });
    expect(res.status).toBe(303);
    const id = /^\/jobs\/(.+)$/.exec(res.headers.location as string)?.[1] as string;
    const job = await waitFor(
      () => {
        const j = s.store.getJob(id);
        return j?.finishedAt ? j : null;
      },
      'the re-run to finish',
      20_000,
    );
    expect(job.request).toMatchObject({
      action: 'disk-usage',
      node: 'localhost',
      params: { paths: ['/tmp'], warn_percent: 95 },
    });
    expect(job.trigger).toMatchObject({ kind: 'api', actor: 'ada', rule: 'check-node' });
    expect(job.status).toBe('succeeded');
    expect(s.store.listAudit(10).find((a) => a.action === 'retry' && a.details.job_id === id)).toMatchObject({
      actor: 'ada',
      source: expect.stringMatching(/127\.0\.0\.1/),
      details: { retry_of: diskJob.id, via: 'dashboard' },
    });
    const page = await get(`/jobs/${id}`, admin);
    expect(page.text).toContain(`Re-run of job ${diskJob.id} started as job ${id}.`);
    expect(page.text).toContain('created by hand by ada');
    expect((await get(`/jobs/${id}`, admin)).text).not.toContain('started as job'); // the message shows once
  });

  test('the operator re-runs its own action unchanged', async () => {
    const res = await post(`/jobs/${noopJob.id}/rerun`, operator, { _csrf: operator.csrf, 'p.message': HOSTILE });
    expect(res.status).toBe(303);
    const job = s.store.getJob((res.headers.location as string).slice('/jobs/'.length))!;
    expect(job.request.params).toEqual(noopJob.request.params);
    expect(job.trigger.actor).toBe('otto');
  });

  test('while paused it needs the explicit box, like the API', async () => {
    s.store.setPause({ since: new Date().toISOString(), actor: 'ada', reason: 'maintenance <b>' });
    try {
      const form = await get(`/jobs/${noopJob.id}/rerun`, admin);
      expect(form.text).toContain('Automatic runs are PAUSED');
      expect(form.text).toContain('(maintenance &lt;b&gt;)');
      expect(form.text).toContain('name="while_paused"');
      const before = jobCount();
      const refused = await post(`/jobs/${noopJob.id}/rerun`, admin, { _csrf: admin.csrf, 'p.message': 'x' });
      expect(refused.status).toBe(409);
      expect(refused.text).toContain('Not started: automatic runs are paused');
      expect(jobCount()).toBe(before);
      const ok = await post(`/jobs/${noopJob.id}/rerun`, admin, {
        _csrf: admin.csrf,
        'p.message': 'x',
        while_paused: 'true',
      });
      expect(ok.status).toBe(303);
    } finally {
      s.store.setPause(null);
    }
  });
});

describe('Cancel', () => {
  test('a queued job shows Cancel to whoever may run it; pressing it cancels, audited with actor, reason', async () => {
    const j = storeQueued();
    expect((await get(`/jobs/${j.id}`, admin)).text).toContain(`action="/jobs/${j.id}/cancel"`);
    expect((await get(`/jobs/${j.id}`, operator)).text).toContain(`action="/jobs/${j.id}/cancel"`);
    expect((await get(`/jobs/${j.id}`, viewer)).text).not.toContain('/cancel"');
    expect((await get(`/jobs/${noopJob.id}`, admin)).text).not.toContain('/cancel"'); // finished: nothing to cancel
    const res = await post(`/jobs/${j.id}/cancel`, operator, { _csrf: operator.csrf, reason: 'wrong node' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/jobs/${j.id}`);
    expect(s.store.getJob(j.id)).toMatchObject({ status: 'cancelled', reason: 'cancelled: by otto: wrong node' });
    expect(s.store.queryAudit({ action: 'cancel', actor: 'otto', limit: 5 })[0]).toMatchObject({
      target: 'noop on localhost',
      details: { job_id: j.id, reason: 'wrong node' },
    });
    expect((await get(`/jobs/${j.id}`, operator)).text).toContain(`Job ${j.id} cancelled: by otto: wrong node.`);
  });

  test('a refused cancel says why; a viewer cannot cancel at all', async () => {
    const res = await post(`/jobs/${noopJob.id}/cancel`, admin, { _csrf: admin.csrf });
    expect(res.status).toBe(409);
    expect(res.text).toContain(`Not cancelled: job ${noopJob.id} already ended succeeded; nothing to cancel`);
    const j = storeQueued();
    expect((await post(`/jobs/${j.id}/cancel`, viewer, { _csrf: viewer.csrf })).status).toBe(403);
    expect(s.store.getJob(j.id)!.status).toBe('queued');
  });
});

describe('Release', () => {
  /** A mutating job that was running when RUNE stopped (stored so; this RUNE never ran it). */
  function storeUnknownOutcome(): Job {
    const j = storeQueued({ mutating: true });
    const now = Date.now();
    s.store.markRunning(j.id, new Date(now).toISOString(), now + 600_000);
    s.store.interruptRunning(new Date(now).toISOString());
    return s.store.getJob(j.id) as Job;
  }

  test('outcome_unknown shows its hold and Release; pressing it frees the node, audited; again says why', async () => {
    const j = storeUnknownOutcome();
    expect(j).toMatchObject({ status: 'outcome_unknown', lockUntil: expect.any(String) });
    const page = (await get(`/jobs/${j.id}`, operator)).text;
    expect(page).toContain('localhost stays held until');
    expect(page).toContain(`action="/jobs/${j.id}/release"`);
    expect((await get(`/jobs/${j.id}`, viewer)).text).not.toContain('/release"');
    expect((await post(`/jobs/${j.id}/release`, viewer, { _csrf: viewer.csrf })).status).toBe(403);
    expect(s.store.getJob(j.id)!.lockUntil).not.toBeNull();

    const res = await post(`/jobs/${j.id}/release`, operator, {
      _csrf: operator.csrf,
      reason: 'checked: no docker restart running',
    });
    expect([res.status, res.headers.location]).toEqual([303, `/jobs/${j.id}`]);
    expect(s.store.getJob(j.id)).toMatchObject({ status: 'outcome_unknown', lockUntil: null });
    expect(s.store.queryAudit({ action: 'release', actor: 'otto', limit: 5 })[0]).toMatchObject({
      target: 'noop on localhost',
      details: { job_id: j.id, reason: 'checked: no docker restart running' },
    });
    const after = (await get(`/jobs/${j.id}`, operator)).text;
    expect(after).toContain(`Node localhost released from job ${j.id}: mutating jobs may run there now.`);
    expect(after).not.toContain('/release"');

    const again = await post(`/jobs/${j.id}/release`, admin, { _csrf: admin.csrf });
    expect(again.status).toBe(409);
    expect(again.text).toContain(`Not released: job ${j.id} holds no node`);
  });
});

describe('--insecure-no-auth, no rules, no jobs', () => {
  let open: RunningServer;
  let odir: string;
  beforeAll(async () => {
    odir = makeTempDir('dashboard-open');
    open = await startTestServer({
      dir: odir,
      name: 'rules',
      config: 'nodes:\n  - {name: localhost, transport: local}\nrules: []\n',
      insecureNoAuth: true,
    });
  });
  afterAll(async () => {
    await open?.close(5000);
    removeTempDir(odir);
  });

  test('opens as admin without sign-in; cookie not Secure on http; empty states explain what to do', async () => {
    const res = await request(open.url).get('/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('anonymous (--insecure-no-auth) <span class="role">admin</span>');
    expect(res.text).toContain('No jobs yet.');
    expect(res.headers['set-cookie']?.[0]).toMatch(/^rune_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    const cookie = (res.headers['set-cookie']?.[0] as string).split(';')[0] as string;
    expect((await request(open.url).get('/rules').set('Cookie', cookie)).text).toContain('No rules yet.');
    // Still no POST without the form's token.
    const j = open.store.createJobs([
      {
        id: 'q1',
        traceId: 'a'.repeat(32),
        request: { action: 'noop', node: 'localhost', params: {}, dryRun: false, pluginDryRun: false },
        trigger: { kind: 'api' },
        alert: null,
        incident: null,
        chainId: null,
        step: 0,
        after: null,
        stopOnFailureOf: true,
        notify: [],
        mutating: false,
        createdAt: new Date().toISOString(),
      },
    ]).jobs[0] as Job;
    const page = await request(open.url).get(`/jobs/${j.id}`).set('Cookie', cookie);
    expect(page.text).toContain(`href="/jobs/${j.id}/rerun"`);
    expect(page.text).toContain(`action="/jobs/${j.id}/cancel"`);
    expect(
      (await request(open.url).post(`/jobs/${j.id}/rerun`).set('Cookie', cookie).type('form').send({})).status,
    ).toBe(403);
  });
});

describe('start a run (/run)', () => {
  test('choose an action and a node, fill in its params, start: the job runs, audited under the user', async () => {
    const chooser = await get('/run', admin);
    expect(chooser.status).toBe(200);
    expect(chooser.text).toContain('<option value="noop">noop</option>');
    expect(chooser.text).toContain('<option value="localhost">');
    const form = await get('/run?action=noop&node=localhost', admin);
    expect(form.text).toContain('name="p.message"');
    const before = jobCount();
    const res = await post('/run', admin, {
      _csrf: admin.csrf,
      action: 'noop',
      node: 'localhost',
      'p.message': 'from the form',
      reason: 'checking by hand',
    });
    expect(res.status).toBe(303);
    const id = decodeURIComponent(String(res.headers.location).replace('/jobs/', ''));
    expect(jobCount()).toBe(before + 1);
    const job = await waitFor(() => {
      const j = s.store.getJob(id);
      return j?.status === 'succeeded' && j;
    }, 'the job to run');
    expect(job).toMatchObject({
      trigger: { kind: 'api', actor: 'ada' }, // the use case of POST /api/v1/jobs
      request: { params: { message: 'from the form' } },
    });
    expect(s.store.listAudit(20).find((r) => r.action === 'run' && r.details.job_id === id)).toMatchObject({
      actor: 'ada',
      details: { reason: 'checking by hand' },
    });
  });

  test('params the plugin refuses, an unknown action or no node start nothing and say why', async () => {
    const before = jobCount();
    const bad = await post('/run', admin, {
      _csrf: admin.csrf,
      action: 'noop',
      node: 'localhost',
      params_extra: '{"nope": 1}',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('The params are not valid for this action');
    expect((await post('/run', admin, { _csrf: admin.csrf, action: 'no-such', node: 'localhost' })).status).toBe(400);
    const noNode = await post('/run', admin, { _csrf: admin.csrf, action: 'noop', node: ' ' });
    expect(noNode.text).toContain('Name the node to run on');
    expect(jobCount()).toBe(before);
  });

  test('scope and role: an operator outside its scope is refused, a viewer sees no form and cannot post', async () => {
    const before = jobCount();
    const out = await post('/run', operator, { _csrf: operator.csrf, action: 'noop', node: 'db-1' });
    expect(out.status).toBe(403);
    expect(out.text).toContain('Not started:');
    expect((await get('/', viewer)).text).not.toContain('href="/run"');
    expect((await get('/', operator)).text).toContain('href="/run"');
    const byViewer = await post('/run', viewer, { _csrf: viewer.csrf, action: 'noop', node: 'localhost' });
    expect(byViewer.status).toBe(403);
    expect(await post('/run', null, { action: 'noop', node: 'localhost' }).then((r) => r.status)).not.toBe(303);
    expect(jobCount()).toBe(before);
  });
});
