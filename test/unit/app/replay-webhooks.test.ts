import { replayWebhooks } from '../../../src/app/replay-webhooks';
import type { Job } from '../../../src/core/job';
import type { Alert } from '../../../src/core/types';
import { episodeKey } from '../../../src/jobs/episode-key';
import { compileRules } from '../../../src/rules/compile-rules';
import type { RuneConfig } from '../../../src/config/config-types';

const rules = compileRules([
  {
    name: 'disk',
    on: 'firing',
    matchers: ['alertname="Disk"'],
    node: '{{ labels.nodename }}',
    steps: [{ action: 'noop' }],
  },
] as unknown as RuneConfig['rules']);

const alert = (fingerprint: string, alertname: string): Alert =>
  ({
    source: 'alertmanager',
    status: 'firing',
    fingerprint,
    startsAt: '2024-05-01T10:00:00Z',
    labels: { alertname, nodename: 'web-1' },
    annotations: {},
  }) as unknown as Alert;

const ran = (action: string): Job =>
  ({
    id: 'j1',
    step: 0,
    status: 'succeeded',
    reason: null,
    request: { action, node: 'web-1', params: {} },
  }) as unknown as Job;

test('each stored episode is matched once again and compared with its jobs; only differences unless all', () => {
  const a = alert('a', 'Disk'); // ran noop: the same now
  const b = alert('b', 'Disk'); // nothing ran: a new run now
  const c = alert('c', 'Other'); // ran, but no rule matches it now
  const jobs = new Map([
    [episodeKey('disk', a), [ran('noop')]],
    [episodeKey('old-rule', c), [ran('restart-docker')]],
  ]);
  const history = {
    rulesWithJobs: () => ['disk', 'old-rule'],
    jobsForKey: (key: string) => jobs.get(key) ?? null,
    *webhooks(sinceMs: number, untilMs: number) {
      expect([sinceMs, untilMs]).toEqual([1, 2]);
      const w = { receivedAt: '2024-05-01T10:00:01Z', source: 'alertmanager', id: 'g' };
      yield { ...w, seq: 1, alerts: [a, b] };
      yield { ...w, seq: 2, alerts: [a, c] }; // a re-sent: replayed once
    },
  };
  const diff = replayWebhooks(rules, history, { sinceMs: 1, untilMs: 2, all: false });
  expect(diff.summary).toEqual({
    webhooks: 2,
    alerts: 4,
    repeats: 1,
    alerts_changed: 2,
    new: 1,
    removed: 1,
    changed: 0,
    same: 1,
  });
  expect(diff.alerts.map((x) => [x.alert.fingerprint, x.changes.map((ch) => `${ch.kind} ${ch.rule}`)])).toEqual([
    ['b', ['new disk']],
    ['c', ['removed old-rule']],
  ]);
  const all = replayWebhooks(rules, history, { sinceMs: 1, untilMs: 2, all: true });
  expect(all.alerts.map((x) => x.alert.fingerprint)).toEqual(['a', 'b', 'c']);
});
