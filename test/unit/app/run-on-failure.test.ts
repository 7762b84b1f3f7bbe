import { ingestNotification } from '../../../src/app/ingest-notification';
import type { Alert } from '../../../src/core/types';
import { startTestService, type TestService } from '../../helpers/test-service';
import { waitFor } from '../../helpers/wait-for';

const alert: Alert = {
  source: 'alertmanager',
  status: 'firing',
  labels: { alertname: 'Check', node: 'web-1', unit: 'docker' },
  annotations: {},
  startsAt: '2026-12-01T10:00:00Z',
  endsAt: null,
  fingerprint: 'f000000000000002',
};
const delivery = { actor: 'alertmanager', source: '127.0.0.1', action: 'webhook', target: 'group-1', details: {} };
let svc: TestService;
afterEach(() => svc.stop());

const rules = (steps: string, onFailure: string, defaults = '') => `${defaults}rules:
  - name: check
    matchers: ['alertname="Check"']
    node: "{{ labels.node }}"
    steps: ${steps}
${onFailure}`;

async function run(): Promise<string[]> {
  const out = await ingestNotification(svc.ctx, [alert], delivery, { source: 'alertmanager', id: 'g1' });
  await waitFor(() => svc.ctx.store.getJob(out.jobs[0] as string)?.status === 'failed', 'the run to fail');
  await svc.ctx.queue.idle();
  return out.jobs;
}

test('a failed run runs its on_failure steps in the same run, rendered; the breaker counts once', async () => {
  svc = startTestService({
    rules: rules(
      '[{action: fail}, {action: echo}]',
      '    breaker: {failures: 2}\n    on_failure:\n' +
        '      - {action: echo, params: {message: "logs of {{ labels.unit }}"}}\n' +
        '      - {action: fail}\n',
    ),
  });
  const [first] = await run();
  const failed = svc.ctx.store.getJob(first as string);
  const chain = svc.ctx.store.jobsOfChain(failed?.chainId as string);
  expect(chain.map((j) => [j.step, j.request.action, j.status])).toEqual([
    [0, 'fail', 'failed'],
    [1, 'echo', 'skipped'],
    [1000, 'echo', 'succeeded'],
    [1001, 'fail', 'failed'],
  ]);
  expect(chain[2]?.result?.summary).toBe('echo logs of docker');
  expect(chain[2]).toMatchObject({ traceId: failed?.traceId, trigger: { kind: 'alert', rule: 'check' } });
  // The on_failure step that failed did not count as a second failed run of the rule.
  expect(svc.ctx.store.listBreakers()).toEqual([expect.objectContaining({ rule: 'check', failures: 1 })]);
});

test('defaults.on_failure applies to rules without their own; a run that succeeds runs none', async () => {
  svc = startTestService({
    rules: rules('[{action: fail}]', '', 'defaults:\n  on_failure: [{action: echo, params: {message: gathered}}]\n'),
  });
  const [first] = await run();
  const chain = svc.ctx.store.jobsOfChain(svc.ctx.store.getJob(first as string)?.chainId as string);
  expect(chain.map((j) => [j.request.action, j.status, j.result?.summary])).toEqual([
    ['fail', 'failed', expect.any(String)],
    ['echo', 'succeeded', 'echo gathered'],
  ]);
  await svc.stop();

  svc = startTestService({ rules: rules('[{action: echo}]', '    on_failure: [{action: echo}]\n') });
  const out = await ingestNotification(svc.ctx, [alert], delivery, { source: 'alertmanager', id: 'g1' });
  await waitFor(() => svc.ctx.store.getJob(out.jobs[0] as string)?.status === 'succeeded', 'the run');
  await svc.ctx.queue.idle();
  expect(svc.ctx.store.jobsOfChain(svc.ctx.store.getJob(out.jobs[0] as string)?.chainId as string)).toHaveLength(1);
});
