import { releaseNode } from '../../../src/app/release-node';
import { runManually } from '../../../src/app/run-manually';
import { isRuneError } from '../../../src/core/errors';
import { ADMIN, WEB_OPERATOR, startTestService, type TestService } from '../../helpers/test-service';

let svc: TestService;
afterEach(() => svc.stop());

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (isRuneError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error('expected a refusal');
}

/** A mutating job on `node` that was running when RUNE stopped: its outcome is unknown, its node held. */
function unknownOutcome(node: string) {
  svc.ctx.store.setPause({ since: 'x', actor: 'test', reason: 'hold the queue' });
  const job = runManually(svc.ctx, ADMIN, 'a', { action: 'slow', node, whilePaused: true });
  void svc.ctx.queue.stop(0); // this RUNE "stops": nothing more starts
  svc.ctx.store.markRunning(job.id, svc.ctx.now().toISOString(), svc.ctx.now().getTime() + 60_000);
  svc.ctx.store.interruptRunning(svc.ctx.now().toISOString());
  return job;
}

const WEB_OPS = { name: 'web-ops', role: 'operator' as const, actions: null, nodes: ['web-*'] };

test('an operator in scope releases a held node; it is audited with what was checked', () => {
  svc = startTestService();
  const job = unknownOutcome('web-3');
  expect(svc.ctx.store.getJob(job.id)).toMatchObject({ status: 'outcome_unknown', lockUntil: expect.any(String) });
  const out = releaseNode(svc.ctx, WEB_OPS, '10.0.0.7', job.id, 'old run gone (ps)');
  expect(out.node).toBe('web-3');
  expect(svc.ctx.store.getJob(job.id)?.lockUntil).toBeNull();
  expect(svc.ctx.store.listAudit(1)[0]).toMatchObject({
    actor: 'web-ops',
    action: 'release',
    target: 'slow on web-3',
    details: { job_id: job.id, reason: 'old run gone (ps)' },
  });
  expect(refusal(() => releaseNode(svc.ctx, ADMIN, 'a', job.id, null))).toBe(
    `NOTHING_HELD: job ${job.id} holds no node: its hold on the node has already ended`,
  );
});

test('out of scope is FORBIDDEN; a job that never held a node is NOTHING_HELD', () => {
  svc = startTestService();
  const job = unknownOutcome('db-1');
  expect(refusal(() => releaseNode(svc.ctx, WEB_OPERATOR, 'a', job.id, null))).toMatch(
    /^FORBIDDEN: token web-op may not run (action slow|node db-1)/,
  );
  expect(svc.ctx.store.getJob(job.id)?.lockUntil).not.toBeNull();
  const echo = runManually(svc.ctx, ADMIN, 'a', { action: 'echo', node: 'web-1', whilePaused: true });
  expect(refusal(() => releaseNode(svc.ctx, ADMIN, 'a', echo.id, null))).toMatch(/^NOTHING_HELD: job .* holds no node/);
});
