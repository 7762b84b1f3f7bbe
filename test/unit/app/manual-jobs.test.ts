import { cancelJob } from '../../../src/app/cancel-job';
import { closeBreaker } from '../../../src/app/close-breaker';
import { pauseRuns, resumeRuns } from '../../../src/app/pause';
import { retryJob } from '../../../src/app/retry-job';
import { runManually } from '../../../src/app/run-manually';
import { isRuneError } from '../../../src/core/errors';
import { ADMIN, WEB_OPERATOR, startTestService, type TestService } from '../../helpers/test-service';
import { waitFor } from '../../helpers/wait-for';

let svc: TestService;
afterEach(() => svc.stop());

/** The catalogue code (and message) a use case throws. */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (isRuneError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error('expected a refusal');
}

test('a manual run is planned at once: unknown action, node or bad params refused before anything is stored', () => {
  svc = startTestService();
  expect(refusal(() => runManually(svc.ctx, ADMIN, 'a', { action: 'nope', node: 'web-1' }))).toMatch(/^UNKNOWN_ACTION/);
  expect(refusal(() => runManually(svc.ctx, ADMIN, 'a', { action: 'echo', node: 'mail-1' }))).toMatch(/^UNKNOWN_NODE/);
  const bad = { action: 'echo', node: 'web-1', params: { message: 7 } };
  expect(refusal(() => runManually(svc.ctx, ADMIN, 'a', bad))).toMatch(/^INVALID_PARAMS/);
  expect(svc.ctx.store.listJobs({})).toEqual([]);
});

test("an operator's scope is enforced and every refusal is audited with who, what and why", () => {
  svc = startTestService();
  const outside = { action: 'echo', node: 'db-1' };
  expect(refusal(() => runManually(svc.ctx, WEB_OPERATOR, '10.0.0.7', outside))).toBe(
    'FORBIDDEN: token web-op may not run node db-1 (it may touch web-*)',
  );
  const [record] = svc.ctx.store.listAudit(1);
  expect(record).toMatchObject({ actor: 'web-op', source: '10.0.0.7', action: 'refused', target: 'echo on db-1' });
  const job = runManually(svc.ctx, WEB_OPERATOR, '10.0.0.7', { action: 'echo', node: 'web-2', reason: 'check' });
  expect(svc.ctx.store.listAudit(1)[0]).toMatchObject({ action: 'run', details: { job_id: job.id, reason: 'check' } });
});

test('while paused a manual run needs while_paused; a retry keeps the incident and says what it retried', async () => {
  svc = startTestService();
  const first = runManually(svc.ctx, ADMIN, 'a', { action: 'echo', node: 'web-1' });
  await waitFor(() => svc.ctx.store.getJob(first.id)?.status === 'succeeded', 'the first run');
  pauseRuns(svc.ctx, ADMIN, 'a', 'maintenance');
  expect(refusal(() => retryJob(svc.ctx, ADMIN, 'a', first.id, { whilePaused: false }))).toMatch(
    /^PAUSED: automatic runs are paused since .* by root-admin \(maintenance\)/,
  );
  const { job, old } = retryJob(svc.ctx, ADMIN, 'a', first.id, { whilePaused: true, reason: 'again' });
  expect(old.id).toBe(first.id);
  expect(job.request).toEqual(first.request);
  expect(svc.ctx.store.listAudit(1)[0]).toMatchObject({ action: 'retry', details: { retry_of: first.id } });
  expect(resumeRuns(svc.ctx, ADMIN, 'a', null)?.reason).toBe('maintenance');
  expect(svc.ctx.store.getPause()).toBeNull();
});

test('cancel: a queued job at once, a finished one is JOB_FINISHED, a running mutating one needs force', async () => {
  svc = startTestService();
  const slow = runManually(svc.ctx, ADMIN, 'a', { action: 'slow', node: 'web-1' });
  const queued = runManually(svc.ctx, ADMIN, 'a', { action: 'slow', node: 'web-1' }); // waits for web-1's lock
  await waitFor(() => svc.ctx.store.getJob(slow.id)?.status === 'running', 'the first slow run');
  expect(refusal(() => cancelJob(svc.ctx, ADMIN, 'a', slow.id, null, false))).toMatch(
    /^JOB_RUNNING: job .* is running slow, which changes the node/,
  );
  expect(cancelJob(svc.ctx, ADMIN, 'a', queued.id, 'not needed', false)).toEqual({
    status: 'cancelled',
    job_id: queued.id,
    reason: 'cancelled: by root-admin: not needed',
  });
  expect(svc.ctx.store.getJob(queued.id)?.status).toBe('cancelled');
  await waitFor(() => svc.ctx.store.getJob(slow.id)?.status === 'succeeded', 'the slow run to end');
  expect(refusal(() => cancelJob(svc.ctx, ADMIN, 'a', slow.id, null, true))).toBe(
    `JOB_FINISHED: job ${slow.id} already ended succeeded; nothing to cancel`,
  );
});

test('closing a breaker names the rule; an unknown rule is NOT_FOUND', () => {
  svc = startTestService({
    rules: 'rules:\n  - {name: r1, matchers: [\'alertname="X"\'], node: web-1, steps: [{action: echo}]}\n',
  });
  svc.ctx.store.updateBreaker('r1', (b) => ({ ...b, state: 'open', failures: 3, openedAt: 1 }));
  const { before, after } = closeBreaker(svc.ctx, ADMIN, 'a', 'r1', 'fixed by hand');
  expect([before.state, after.state, after.failures]).toEqual(['open', 'closed', 0]);
  expect(refusal(() => closeBreaker(svc.ctx, ADMIN, 'a', 'r2', null))).toBe('NOT_FOUND: no rule "r2"');
});
