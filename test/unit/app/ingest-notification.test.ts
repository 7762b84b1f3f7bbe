import { ingestNotification } from '../../../src/app/ingest-notification';
import type { Alert } from '../../../src/core/types';
import { startTestService, type TestService } from '../../helpers/test-service';
import { waitFor } from '../../helpers/wait-for';

const RULES = `rules:
  - name: check
    matchers: ['alertname="Check"']
    node: "{{ labels.node }}"
    steps:
      - action: slow
      - action: echo
        params: {message: "after slow"}
`;

function alert(
  status: 'firing' | 'resolved',
  fingerprint = 'f000000000000001',
  startsAt = '2026-12-01T10:00:00.000Z',
): Alert {
  return {
    source: 'alertmanager',
    status,
    labels: { alertname: 'Check', node: 'web-1' },
    annotations: {},
    startsAt,
    endsAt: status === 'resolved' ? '2026-12-01T10:05:00.000Z' : null,
    fingerprint,
  };
}

const delivery = { actor: 'alertmanager', source: '127.0.0.1', action: 'webhook', target: 'group-1', details: {} };
let svc: TestService;
afterEach(() => svc.stop());

test('a firing alert becomes its rule steps as stored jobs, audited, kept for replay, then run in order', async () => {
  svc = startTestService({ rules: RULES });
  const out = await ingestNotification(svc.ctx, [alert('firing')], delivery, { source: 'alertmanager', id: 'g1' });
  expect(out.jobs).toHaveLength(2);
  expect(out.duplicates).toEqual([]);
  const [first, second] = out.jobs.map((id) => svc.ctx.store.getJob(id));
  expect([first?.request.action, second?.request.action]).toEqual(['slow', 'echo']);
  expect(second?.after).toBe(first?.id);
  const audit = svc.ctx.store.listAudit(5).find((r) => r.action === 'webhook');
  expect(audit).toMatchObject({
    actor: 'alertmanager',
    target: 'group-1',
    details: { alerts: 1, candidate_jobs: out.jobs },
  });
  await waitFor(() => svc.ctx.store.getJob(out.jobs[1] as string)?.status === 'succeeded', 'both steps to run');
  expect(svc.ctx.store.getJob(out.jobs[1] as string)?.result?.summary).toBe('echo after slow');
});

test('the same firing episode delivered again is a duplicate: nothing new is stored or run', async () => {
  svc = startTestService({ rules: RULES });
  const first = await ingestNotification(svc.ctx, [alert('firing')], delivery, { source: 'alertmanager', id: 'g1' });
  const again = await ingestNotification(svc.ctx, [alert('firing')], delivery, { source: 'alertmanager', id: 'g1' });
  expect(again.jobs).toEqual([]);
  expect(again.duplicates).toEqual(first.jobs);
  expect(svc.ctx.store.listJobs({ rule: 'check' })).toHaveLength(2);
});

test('one episode however its startsAt is written (Z, .000Z, +01:00): one run, the others duplicates', async () => {
  svc = startTestService({ rules: RULES });
  const g = { source: 'alertmanager' as const, id: 'g1' };
  const outs = [];
  for (const startsAt of ['2026-12-01T10:00:00Z', '2026-12-01T10:00:00.000Z', '2026-12-01T11:00:00+01:00']) {
    outs.push(await ingestNotification(svc.ctx, [alert('firing', 'f000000000000001', startsAt)], delivery, g));
  }
  expect(outs.map((o) => [o.jobs.length, o.duplicates.length])).toEqual([
    [2, 0],
    [0, 2],
    [0, 2],
  ]);
  expect(svc.ctx.store.listJobs({ rule: 'check' })).toHaveLength(2);
  // A different instant is a new episode.
  const later = await ingestNotification(
    svc.ctx,
    [alert('firing', 'f000000000000001', '2026-12-01T10:00:00.5Z')],
    delivery,
    g,
  );
  expect(later.jobs).toHaveLength(2);
});

test('a resolve finds its episode whatever the spelling of startsAt: the queued step is cancelled', async () => {
  svc = startTestService({ rules: RULES });
  const g = { source: 'alertmanager' as const, id: 'g1' };
  const fired = await ingestNotification(svc.ctx, [alert('firing')], delivery, g);
  await waitFor(() => svc.ctx.store.getJob(fired.jobs[0] as string)?.status === 'running', 'the slow step to start');
  const resolve = alert('resolved', 'f000000000000001', '2026-12-01T05:00:00-05:00');
  const resolved = await ingestNotification(svc.ctx, [resolve], delivery, g);
  expect(resolved.cancelled).toEqual([fired.jobs[1]]);
  expect(svc.ctx.store.getJob(fired.jobs[1] as string)?.status).toBe('cancelled');
  await waitFor(() => svc.ctx.store.getJob(fired.jobs[0] as string)?.status === 'succeeded', 'the slow step to end');
});

test("a resolve cancels its episode's step still queued behind the running one, and says which", async () => {
  svc = startTestService({ rules: RULES });
  const fired = await ingestNotification(svc.ctx, [alert('firing')], delivery, { source: 'alertmanager', id: 'g1' });
  await waitFor(() => svc.ctx.store.getJob(fired.jobs[0] as string)?.status === 'running', 'the slow step to start');
  const resolved = await ingestNotification(svc.ctx, [alert('resolved')], delivery, {
    source: 'alertmanager',
    id: 'g1',
  });
  expect(resolved.cancelled).toEqual([fired.jobs[1]]);
  const cancelled = svc.ctx.store.getJob(fired.jobs[1] as string);
  expect(cancelled?.status).toBe('cancelled');
  expect(cancelled?.reason).toMatch(/^resolved: alert f000000000000001 resolved at 2026-12-01T10:05:00.000Z/);
  // The running mutating step is not stopped: it ends on its own.
  await waitFor(() => svc.ctx.store.getJob(fired.jobs[0] as string)?.status === 'succeeded', 'the slow step to end');
});

test('alerts no rule matches are counted, not stored', async () => {
  svc = startTestService({ rules: RULES });
  const other = { ...alert('firing'), labels: { alertname: 'Other', node: 'web-1' } };
  const out = await ingestNotification(svc.ctx, [other], delivery, { source: 'alertmanager', id: 'g2' });
  expect([out.jobs, out.unmatched]).toEqual([[], 1]);
});
