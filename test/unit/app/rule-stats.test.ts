import { ingestNotification } from '../../../src/app/ingest-notification';
import { ruleStats, runOutcome } from '../../../src/app/rule-stats';
import type { Alert } from '../../../src/core/types';
import { startTestService, type TestService } from '../../helpers/test-service';
import { waitFor } from '../../helpers/wait-for';

const RULES = `rules:
  - name: good
    matchers: ['alertname="Good"']
    node: "{{ labels.node }}"
    steps: [{action: echo}]
    verify: {within: 10m}
  - name: bad
    matchers: ['alertname="Bad"']
    node: "{{ labels.node }}"
    steps: [{action: fail}, {action: echo}]
  - name: idle
    matchers: ['alertname="Idle"']
    steps: [{action: echo}]
`;

const alert = (name: string, fingerprint: string, endsAt: string | null = null): Alert => ({
  source: 'alertmanager',
  status: endsAt ? 'resolved' : 'firing',
  labels: { alertname: name, node: 'web-1' },
  annotations: {},
  startsAt: '2026-12-01T10:00:00Z',
  endsAt,
  fingerprint,
});
const delivery = { actor: 'alertmanager', source: '127.0.0.1', action: 'webhook', target: 'g', details: {} };
const received = { source: 'alertmanager' as const, id: 'g' };
let svc: TestService | undefined;
afterEach(() => svc?.stop());

test('a run is what its steps add up to', () => {
  expect(runOutcome(['succeeded', 'succeeded'])).toBe('succeeded');
  expect(runOutcome(['failed', 'skipped'])).toBe('failed');
  expect(runOutcome(['failed', 'succeeded'])).toBe('succeeded'); // continue_on_error
  expect(runOutcome(['skipped', 'skipped'])).toBe('not_run');
  expect(runOutcome(['cancelled'])).toBe('not_run');
  expect(runOutcome(['succeeded', 'queued'])).toBe('in_progress');
  expect(runOutcome(['timed_out'])).toBe('failed');
});

test('per rule: runs and outcomes, verified-fixed rate and median time to resolve; idle rules listed', async () => {
  svc = startTestService({ rules: RULES, verify: { alertmanager: null, prometheusUrl: null, intervalMs: 60_000 } });
  const out = await ingestNotification(
    svc!.ctx,
    [alert('Good', 'f1'), alert('Good', 'f2'), alert('Bad', 'f3')],
    delivery,
    received,
  );
  await waitFor(
    () => out.jobs.every((id) => !['queued', 'running'].includes(svc!.ctx.store.getJob(id)?.status ?? '')),
    'runs',
  );
  await svc!.ctx.queue.idle();
  const v1 = svc!.ctx.store.listVerifications('1970-01-01T00:00:00Z').find((v) => v.fingerprint === 'f1');
  const endsAt = new Date(Date.parse(v1?.startedAt as string) + 90_000).toISOString();
  await ingestNotification(svc!.ctx, [alert('Good', 'f1', endsAt)], delivery, received);

  const stats = ruleStats(svc!.ctx, Date.now() - 3_600_000);
  expect(stats).toEqual([
    expect.objectContaining({ rule: 'bad', runs: 1, failed: 1, succeeded: 0, fixed_rate: null, verified: 0 }),
    {
      rule: 'good',
      runs: 2,
      not_run: 0,
      succeeded: 2,
      failed: 0,
      in_progress: 0,
      verified: 1,
      not_fixed: 0,
      verifying: 1,
      fixed_rate: 1,
      median_resolve_seconds: 90,
    },
    expect.objectContaining({ rule: 'idle', runs: 0, fixed_rate: null, median_resolve_seconds: null }),
  ]);
  // A window that starts after the runs counts none of them.
  expect(ruleStats(svc!.ctx, Date.now() + 1000).find((s) => s.rule === 'good')).toMatchObject({ runs: 0, verified: 0 });
});
