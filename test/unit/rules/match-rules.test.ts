import type { RuleSpec } from '../../../src/config/config-types';
import { compileRules } from '../../../src/rules/compile-rules';
import { matchRules } from '../../../src/rules/match-rules';
import type { Alert } from '../../../src/core/types';
import { fixtureJson } from '../../helpers/fixtures';

interface AmAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
}

/** Alerts of a captured Alertmanager webhook, as the source adapter would normalize them. */
function alertsOf(fixture: string): Alert[] {
  const body = fixtureJson<{ alerts: AmAlert[]; groupKey: string }>(`alertmanager/${fixture}`);
  return body.alerts.map((a) => ({
    source: 'alertmanager',
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt,
    endsAt: a.endsAt.startsWith('0001-') ? null : a.endsAt,
    fingerprint: a.fingerprint,
    groupKey: body.groupKey,
  }));
}

const cpuRule: RuleSpec = {
  name: 'cpu-high',
  matchers: ['alertname="HostHighCpuLoad"', 'severity=~"warning|critical"'],
  steps: [
    { action: 'gather-logs', params: { since: '15m', units: ['{{ labels.job }}-exporter'] } },
    { action: 'noop', params: { message: '{{ annotations.summary }}' }, continue_on_error: true },
  ],
  notify: ['pagerduty'],
};

describe('matchRules', () => {
  test('the 2-instance Alertmanager fixture gives one invocation per alert and step, each on its own host', () => {
    const alerts = alertsOf('captured-am0.25-webhook-firing-2instances.json');
    expect(alerts).toHaveLength(2);
    const rules = compileRules([cpuRule]);
    const outcomes = alerts.map((a) => matchRules(rules, a));
    expect(outcomes.map((o) => o.problems)).toEqual([[], []]);
    expect(outcomes.map((o) => o.invocations.map((i) => [i.step, i.action, i.node]))).toEqual([
      [
        [0, 'gather-logs', '10.0.1.23'],
        [1, 'noop', '10.0.1.23'],
      ],
      [
        [0, 'gather-logs', '10.0.2.57'],
        [1, 'noop', '10.0.2.57'],
      ],
    ]);
    const [first, second] = outcomes.map((o) => o.invocations[1]!);
    expect(first).toMatchObject({
      rule: 'cpu-high',
      params: { message: 'Host high CPU load (instance 10.0.1.23:9100)' },
      continueOnError: true,
      notify: ['pagerduty'],
    });
    expect(second!.params).toEqual({ message: 'Host high CPU load (instance 10.0.2.57:9100)' });
    expect(second!.alert).toBe(alerts[1]);
    expect(outcomes[0]!.invocations[0]!.params).toEqual({ since: '15m', units: ['node-exporter'] });
  });

  test('a resolved alert never triggers a firing rule, and a resolved rule only runs on resolved alerts', () => {
    const [resolved] = alertsOf('captured-am0.25-webhook-resolved-1alert.json');
    expect(resolved!.status).toBe('resolved');
    const matchAll = [`alertname="${resolved!.labels.alertname}"`];
    const rules = compileRules([
      { name: 'on-fire', matchers: matchAll, steps: [{ action: 'restart-docker' }] },
      { name: 'on-fire-explicit', matchers: matchAll, on: 'firing', steps: [{ action: 'restart-docker' }] },
      { name: 'on-resolve', matchers: matchAll, on: 'resolved', steps: [{ action: 'noop' }] },
    ]);
    expect(matchRules(rules, resolved!).invocations.map((i) => i.rule)).toEqual(['on-resolve']);
    expect(matchRules(rules, { ...resolved!, status: 'firing', endsAt: null }).invocations.map((i) => i.rule)).toEqual([
      'on-fire',
      'on-fire-explicit',
    ]);
  });

  test('the shipped-style disk rule runs disk-usage on the fixture host with the alert mountpoint', () => {
    const [alert] = alertsOf('captured-am0.25-webhook-firing-1alert.json');
    const rules = compileRules([
      {
        name: 'filesystem-almost-full',
        matchers: ['alertname="NodeFilesystemAlmostOutOfSpace"'],
        steps: [{ action: 'disk-usage', params: { paths: ['{{ labels.mountpoint | default "/" }}'] } }],
      },
    ]);
    expect(matchRules(rules, alert!).invocations).toEqual([
      {
        rule: 'filesystem-almost-full',
        step: 0,
        action: 'disk-usage',
        node: '10.0.1.23',
        params: { paths: ['/'] },
        continueOnError: false,
        notify: [],
        alert,
      },
    ]);
  });

  test('rules that do not match give nothing; several matching rules all run, in file order', () => {
    const [alert] = alertsOf('captured-am0.25-webhook-firing-1alert.json');
    const rules = compileRules([
      { name: 'b', matchers: ['severity="critical"'], steps: [{ action: 'noop' }] },
      { name: 'other', matchers: ['alertname="DockerDaemonDown"'], steps: [{ action: 'noop' }] },
      { name: 'a', matchers: ['job="node"', 'fstype=~"xfs|ext4"'], steps: [{ action: 'noop' }] },
    ]);
    expect(matchRules(rules, alert!).invocations.map((i) => i.rule)).toEqual(['b', 'a']);
  });

  test('a node that renders empty gives a problem instead of invocations', () => {
    const [alert] = alertsOf('captured-am0.25-webhook-firing-1alert.json');
    const { instance: _dropped, ...labels } = alert!.labels;
    const rules = compileRules([
      { name: 'needs-instance', matchers: ['alertname="NodeFilesystemAlmostOutOfSpace"'], steps: [{ action: 'noop' }] },
      {
        name: 'by-nodename',
        matchers: ['alertname="NodeFilesystemAlmostOutOfSpace"'],
        node: '{{ labels.nodename }}',
        steps: [{ action: 'noop' }],
      },
    ]);
    const out = matchRules(rules, { ...alert!, labels });
    expect(out.invocations.map((i) => [i.rule, i.node])).toEqual([['by-nodename', 'ip-10-0-1-23']]);
    expect(out.problems).toEqual([
      { rule: 'needs-instance', message: expect.stringMatching(/rendered empty for alert 8938c54a9647462a/) },
    ]);
  });
});
