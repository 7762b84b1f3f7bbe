import request from 'supertest';
import { createApp } from '../../../src/http/create-app';
import { startTestService, type TestService } from '../../helpers/test-service';

let svc: TestService;
let app: ReturnType<typeof createApp>;
beforeEach(() => {
  svc = startTestService();
  const auth = { webhookTokens: [], pagerdutySecrets: [], insecureNoAuth: true };
  app = createApp(svc.ctx, { auth, reload: () => ({ ok: true, problems: [] }), bodyLimitBytes: 64 * 1024 });
});
afterEach(() => svc.stop());

const errorOf = (r: request.Response) => `${r.status} ${r.body.error?.code}: ${r.body.error?.message}`;

test.each([
  ['limit=0', '400 BAD_REQUEST: invalid query: query parameter limit must be >= 1'],
  ['limit=501', '400 BAD_REQUEST: invalid query: query parameter limit must be <= 500'],
  ['limit=ten', '400 BAD_REQUEST: invalid query: query parameter limit must be integer'],
  ['limit=5&limit=6', '400 BAD_REQUEST: query parameter limit is given 2 times; give it once'],
  ['node=a&node=b', '400 BAD_REQUEST: query parameter node is given 2 times; give it once'],
  ['status=done', expect.stringMatching(/^400 BAD_REQUEST: .*status must be one of queued, running, succeeded/)],
  [
    'nod=web-1',
    expect.stringMatching(/^400 BAD_REQUEST: invalid query: unknown query parameter nod \(known: node, rule/),
  ],
])('GET /api/v1/jobs?%s is refused, not clamped or guessed', async (query, expected) => {
  expect(errorOf(await request(app).get(`/api/v1/jobs?${query}`))).toEqual(expected);
});

test('the documented limits are the enforced ones: 1 and 500 are accepted, an empty filter means none', async () => {
  for (const q of ['limit=1', 'limit=500', 'node=', 'status=queued&limit=20']) {
    const r = await request(app).get(`/api/v1/jobs?${q}`);
    expect([q, r.status]).toEqual([q, 200]);
  }
});

test('POST /api/v1/jobs: every problem of the body is named at once; a reason over 500 chars is refused', async () => {
  const post = (body: object) => request(app).post('/api/v1/jobs').set('content-type', 'application/json').send(body);
  const bad = await post({ action: 7, nodes: 'web-1', dry_run: 'yes' });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details.problems).toEqual([
    'node is required',
    'unknown field nodes (known: action, node, params, dry_run, reason, while_paused)',
    'action must be string',
    'dry_run must be boolean',
  ]);
  expect(errorOf(await post({ action: 'echo', node: 'web-1', reason: 'x'.repeat(501) }))).toBe(
    '400 BAD_REQUEST: invalid body: reason must NOT have more than 500 characters',
  );
  const ok = await post({ action: 'echo', node: 'web-1', reason: 'x'.repeat(500) });
  expect(ok.status).toBe(202);
});

test('optional bodies: none is fine, a stray field is refused; the audit limit is 1 to 1000', async () => {
  const jobs = await request(app).post('/api/v1/jobs').set('content-type', 'application/json').send({
    action: 'echo',
    node: 'web-1',
  });
  const id = jobs.body.job_id as string;
  expect((await request(app).post(`/api/v1/jobs/${id}/retry`)).status).toBe(202);
  const stray = await request(app).post(`/api/v1/jobs/${id}/retry`).set('content-type', 'application/json').send({
    force: true,
  });
  expect(errorOf(stray)).toBe('400 BAD_REQUEST: invalid body: unknown field force (known: reason, while_paused)');
  expect((await request(app).get('/api/v1/audit?limit=1000')).status).toBe(200);
  expect(errorOf(await request(app).get('/api/v1/audit?limit=1001'))).toMatch(/limit must be <= 1000/);
});

test('a job is read, retried and cancelled by a unique prefix of its id, as `rune jobs list` prints it', async () => {
  const made = await request(app).post('/api/v1/jobs').set('content-type', 'application/json').send({
    action: 'echo',
    node: 'web-1',
  });
  const id = made.body.job_id as string;
  const byPrefix = await request(app).get(`/api/v1/jobs/${id.slice(0, 20)}`);
  expect([byPrefix.status, byPrefix.body.id]).toEqual([200, id]);
  expect((await request(app).post(`/api/v1/jobs/${id.slice(0, 20)}/retry`)).body.retry_of).toBe(id);
  expect(errorOf(await request(app).get('/api/v1/jobs/nope'))).toBe(
    '404 NOT_FOUND: no job "nope" (a prefix needs at least 6 characters)',
  );
});

test('the dashboard has an icon: browsers asking for /favicon.ico get one, not a 404 and a log line', async () => {
  const r = await request(app).get('/favicon.ico');
  expect([r.status, r.type]).toEqual([200, 'image/svg+xml']);
});
