import { readRuleTests } from '../../../src/app/read-rule-tests';
import { runRuleTest } from '../../../src/app/run-rule-tests';
import { EMBEDDED_CONFIG, type RuneConfig } from '../../../src/config/config-types';
import { compileRules } from '../../../src/rules/compile-rules';

const config = {
  ...EMBEDDED_CONFIG,
  source: 'rules.yaml',
  nodes: [{ name: 'web-1', address: '10.0.1.23' }],
  rules: [
    {
      name: 'disk',
      on: 'firing',
      matchers: ['alertname="Disk"'],
      node: '{{ labels.instance | hostname }}',
      steps: [{ action: 'disk-usage', params: { paths: ['/'] } }],
    },
  ],
} as unknown as RuneConfig;

const TESTS = `tests:
  - name: matches and resolves to the inventory entry
    alerts:
      - labels: {alertname: Disk, instance: "10.0.1.23:9100"}
    expect:
      - {rule: disk, action: disk-usage, node: web-1, params: {paths: ["/"]}}
  - name: expects the wrong node
    alerts:
      - labels: {alertname: Disk, instance: "10.0.1.23:9100"}
    expect:
      - {rule: disk, action: disk-usage, node: web-2}
`;

test('a case passes when the rules give exactly the expected invocations; a failure has a diff and a line', () => {
  const { cases, errors } = readRuleTests(TESTS, 'rules.test.yaml');
  expect(errors).toEqual([]);
  const rules = compileRules(config.rules);
  const [pass, fail] = cases.map((c) => runRuleTest(c, rules, config, { fallbackUser: 'tester' }));
  expect(pass).toMatchObject({ passed: true, diff: [], got: [{ rule: 'disk', node: 'web-1' }] });
  expect(fail).toMatchObject({ passed: false, line: 7 });
  expect(fail!.diff).toEqual(['- disk: disk-usage on web-2', '+ disk: disk-usage on web-1 {"paths":["/"]}']);
});

test('a malformed file gives every problem with its line, and no cases', () => {
  const { cases, errors } = readRuleTests('tests:\n  - name: x\n    alerts: []\n    expcet: []\n', 'f.yaml');
  expect(cases).toEqual([]);
  expect(errors.map((e) => `${e.file}:${e.line}: ${e.path}: ${e.message}`)).toEqual([
    "f.yaml:2: tests[0]: must have required property 'expect'",
    'f.yaml:4: tests[0]: must NOT have additional properties: "expcet"',
    'f.yaml:3: tests[0].alerts: must NOT have fewer than 1 items',
  ]);
});
