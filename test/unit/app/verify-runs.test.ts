import { ingestNotification } from '../../../src/app/ingest-notification';
import type { Alert } from '../../../src/core/types';
import { startTestService, type TestService } from '../../helpers/test-service';
import { waitFor } from '../../helpers/wait-for';

const rules = (verify: string, step = 'echo') => `rules:
  - name: check
    matchers: ['alertname="Check"']
    node: "{{ labels.node }}"
    steps:
      - action: ${step}
${verify}`;

function alert(status: 'firing' | 'resolved', endsAt: string | null = null): Alert {
  return {
    source: 'alertmanager',
    status,
    labels: { alertname: 'Check', node: 'web-1' },
    annotations: {},
    startsAt: '2026-12-01T10:00:00Z',
    endsAt,
    fingerprint: 'f000000000000001',
  };
}

const delivery = { actor: 'alertmanager', source: '127.0.0.1', action: 'webhook', target: 'group-1', details: {} };
const received = { source: 'alertmanager' as const, id: 'g1' };
const noSources = { alertmanager: null, prometheusUrl: null, intervalMs: 50 };
let svc: TestService;
afterEach(() => svc.stop());

async function runToSuccess(): Promise<string> {
  const out = await ingestNotification(svc.ctx, [alert('firing')], delivery, received);
  const id = out.jobs[0] as string;
  await waitFor(() => svc.ctx.store.getJob(id)?.status === 'succeeded', 'the run to succeed');
  return id;
}

test('a succeeded run is watched; the resolve notification of its episode verifies it, counted', async () => {
  svc = startTestService({ rules: rules('    verify: {within: 10m}\n'), verify: noSources });
  const id = await runToSuccess();
  const job = svc.ctx.store.getJob(id);
  const pending = await waitFor(() => svc.ctx.store.getVerification(job?.chainId as string), 'the watch');
  expect(pending).toMatchObject({ status: 'pending', rule: 'check', jobId: id, action: 'echo', node: 'web-1' });
  expect(Date.parse(pending.deadline) - Date.parse(pending.startedAt)).toBe(600_000);

  // A resolve of another episode (another startsAt) verifies nothing.
  const other = { ...alert('resolved', new Date().toISOString()), startsAt: '2026-12-01T09:00:00Z' };
  await ingestNotification(svc.ctx, [other], delivery, received);
  expect(svc.ctx.store.getVerification(pending.chainId)?.status).toBe('pending');

  const endsAt = new Date(Date.parse(pending.startedAt) + 130_000).toISOString();
  await ingestNotification(svc.ctx, [alert('resolved', endsAt)], delivery, received);
  const done = svc.ctx.store.getVerification(pending.chainId);
  expect(done).toMatchObject({
    status: 'verified',
    resolvedAt: endsAt,
    summary: 'fixed: resolved 2m10s after echo (seen by the resolve notification)',
  });
  expect(svc.ctx.store.pendingVerifications()).toEqual([]);
  const metrics = (await svc.ctx.metrics.render()).text;
  expect(metrics).toMatch(/rune_verifications_total\{rule="check",outcome="started"\} 1/);
  expect(metrics).toMatch(/rune_verifications_total\{rule="check",outcome="verified"\} 1/);
  expect(metrics).toMatch(/rune_verification_resolve_seconds_count\{rule="check"\} 1/);
});

test('no resolve within the window: not_fixed, saying nothing else could be asked', async () => {
  svc = startTestService({ rules: rules('    verify: {within: 300ms}\n'), verify: noSources });
  const id = await runToSuccess();
  const chain = svc.ctx.store.getJob(id)?.chainId as string;
  const done = await waitFor(() => {
    const v = svc.ctx.store.getVerification(chain);
    return v?.status === 'not_fixed' && v;
  }, 'the window to end');
  expect(done.summary).toBe(
    'not fixed: still firing 300ms after echo (no resolve notification; no RUNE_ALERTMANAGER_URL to ask)',
  );
  // A resolve after the verdict changes nothing: one verdict per run.
  await ingestNotification(svc.ctx, [alert('resolved', new Date().toISOString())], delivery, received);
  expect(svc.ctx.store.getVerification(chain)?.status).toBe('not_fixed');
  expect((await svc.ctx.metrics.render()).text).toMatch(
    /rune_verifications_total\{rule="check",outcome="not_fixed"\} 1/,
  );
});

test('defaults.verify applies to rules without their own; a failed run is not watched', async () => {
  svc = startTestService({
    rules: `defaults:\n  verify: {within: 10m}\n${rules('', 'fail')}`,
    verify: noSources,
  });
  const out = await ingestNotification(svc.ctx, [alert('firing')], delivery, received);
  const id = out.jobs[0] as string;
  await waitFor(() => svc.ctx.store.getJob(id)?.status === 'failed', 'the run to fail');
  await svc.ctx.queue.idle();
  expect(svc.ctx.store.getVerification(svc.ctx.store.getJob(id)?.chainId as string)).toBeNull();
});

test('a RUNE dry run is not watched: it fixed nothing', async () => {
  svc = startTestService({ rules: rules('    verify: {within: 10m}\n'), verify: noSources, dryRun: true });
  const id = await runToSuccess();
  await svc.ctx.queue.idle();
  expect(svc.ctx.store.getVerification(svc.ctx.store.getJob(id)?.chainId as string)).toBeNull();
});
