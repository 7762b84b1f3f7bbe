import { compileRules } from '../../../src/rules/compile-rules';
import { explainMatch } from '../../../src/rules/explain-match';
import { matchRules } from '../../../src/rules/match-rules';
import type { Alert } from '../../../src/core/types';

const rules = compileRules([
  {
    name: 'docker',
    matchers: ['alertname="DockerDaemonDown"', 'severity=~"critical|page"', 'env!="staging"'],
    steps: [{ action: 'noop' }],
  },
  { name: 'cleared', matchers: ['alertname="DockerDaemonDown"'], on: 'resolved', steps: [{ action: 'noop' }] },
]);
const alert = (labels: Record<string, string>, status: Alert['status'] = 'firing'): Alert => ({
  source: 'alertmanager',
  status,
  labels,
  annotations: {},
  startsAt: '2024-01-01T00:00:00Z',
  endsAt: null,
  fingerprint: 'f',
});

test('every matcher gets a verdict with the label, operator, expected and actual value, even after one fails', () => {
  const [docker] = explainMatch(
    rules,
    alert({ alertname: 'DockerDaemonDown', severity: 'critical-ish', instance: 'web-1:9100' }),
  );
  expect(docker).toEqual({
    rule: 'docker',
    on: 'firing',
    statusOk: true,
    matched: false,
    matchers: [
      {
        matcher: 'alertname="DockerDaemonDown"',
        label: 'alertname',
        op: '=',
        expected: 'DockerDaemonDown',
        actual: 'DockerDaemonDown',
        pass: true,
      },
      // Anchored as Alertmanager anchors it: critical-ish is not critical.
      {
        matcher: 'severity=~"critical|page"',
        label: 'severity',
        op: '=~',
        expected: 'critical|page',
        actual: 'critical-ish',
        pass: false,
      },
      // A missing label matches as "": env!="staging" passes, and actual says it is missing.
      { matcher: 'env!="staging"', label: 'env', op: '!=', expected: 'staging', actual: null, pass: true },
    ],
  });
});

test('on: is checked against the alert status, and the verdicts agree with matchRules on every case', () => {
  const cases = [
    alert({ alertname: 'DockerDaemonDown', severity: 'page' }),
    alert({ alertname: 'DockerDaemonDown', severity: 'page' }, 'resolved'),
    alert({ alertname: 'DockerDaemonDown', severity: 'page', env: 'staging', instance: 'x' }),
    alert({ alertname: 'Other', severity: 'critical', instance: 'x' }),
    alert({ constructor: 'x', alertname: 'DockerDaemonDown', severity: 'critical', instance: 'x' }),
  ];
  for (const a of cases) {
    const withNode = { ...a, labels: { instance: 'web-1', ...a.labels } };
    const explained = explainMatch(rules, withNode)
      .filter((r) => r.matched)
      .map((r) => r.rule);
    expect(explained).toEqual([...new Set(matchRules(rules, withNode).invocations.map((i) => i.rule))]);
  }
  const [docker, cleared] = explainMatch(rules, alert({ alertname: 'DockerDaemonDown', severity: 'page' }, 'resolved'));
  expect(docker).toMatchObject({ statusOk: false, matched: false });
  expect(docker?.matchers.every((m) => m.pass)).toBe(true);
  expect(cleared).toMatchObject({ on: 'resolved', statusOk: true, matched: true });
});
