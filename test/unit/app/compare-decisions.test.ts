import { compareDecisions } from '../../../src/app/compare-decisions';
import type { Job } from '../../../src/core/job';
import type { Alert, Invocation } from '../../../src/core/types';

const alert = { fingerprint: 'f1', labels: {} } as unknown as Alert;
const inv = (rule: string, step: number, action: string, params: Record<string, unknown> = {}): Invocation => ({
  rule,
  step,
  action,
  node: 'web-1',
  params,
  continueOnError: false,
  notify: [],
  alert,
});
const job = (step: number, action: string, status = 'succeeded', reason: string | null = null): Job =>
  ({
    id: `j-${action}-${step}`,
    step,
    status,
    reason,
    request: { action, node: 'web-1', params: {}, dryRun: false, pluginDryRun: false },
  }) as unknown as Job;

test('new, removed, changed and same, rule by rule in name order; steps compared in order', () => {
  const changes = compareDecisions(
    [inv('d-new', 0, 'noop'), inv('b-same', 1, 'b'), inv('b-same', 0, 'a'), inv('c-changed', 0, 'noop', { x: 1 })],
    new Map([
      ['a-removed', [job(0, 'noop', 'skipped', 'cooldown: ran at …')]],
      ['b-same', [job(1, 'b'), job(0, 'a')]],
      ['c-changed', [job(0, 'noop')]],
    ]),
  );
  expect(changes.map((c) => [c.kind, c.rule])).toEqual([
    ['removed', 'a-removed'],
    ['same', 'b-same'],
    ['changed', 'c-changed'],
    ['new', 'd-new'],
  ]);
  expect(changes[0]).toEqual({
    kind: 'removed',
    rule: 'a-removed',
    before: [
      {
        step: 0,
        action: 'noop',
        node: 'web-1',
        params: {},
        job_id: 'j-noop-0',
        status: 'skipped',
        reason: 'cooldown: ran at …',
      },
    ],
  });
  expect(changes[2]).toMatchObject({ kind: 'changed', after: [{ action: 'noop', params: { x: 1 } }] });
  expect(compareDecisions([], new Map())).toEqual([]);
});
