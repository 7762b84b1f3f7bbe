import { join } from 'node:path';
import { validateConfig } from '../../../src/config/validate-config';
import { planRun } from '../../../src/orchestrator/plan-run';
import type { RunRequest } from '../../../src/core/types';
import { loadRegistry } from '../../../src/plugins/load-registry';
import { mergeRateControls, rateControlProblem } from '../../../src/transports/ssm-rate-controls';

const registry = loadRegistry(join(__dirname, '..', '..', 'fixtures', 'plugins'));

function config(text: string) {
  const out = validateConfig(text, 'rules.yaml');
  if (!out.value) throw new Error(JSON.stringify(out.errors));
  return out.value;
}

const YAML = `
defaults:
  ssm: {max_concurrency: 10, max_errors: "0"}
nodes:
  - {name: "i-*", transport: ssm}
  - {name: web-1, address: 10.0.1.23}
rules:
  - name: fleet-wide
    matchers: ['alertname="X"']
    steps: [{action: echo}]
    ssm: {max_concurrency: "25%", max_errors: 5}
  - name: plain
    matchers: ['alertname="Y"']
    steps: [{action: echo}]
`;

const request = (over: Partial<RunRequest>): RunRequest => ({
  action: 'echo',
  node: 'i-0123456789abcdef0',
  params: {},
  dryRun: false,
  pluginDryRun: false,
  trigger: { kind: 'cli' },
  alert: null,
  jobId: 'j',
  traceId: 't',
  ...over,
});

test("SSM's patterns (docs/protocols.md §4.1): counts and percentages, at most 7 characters", () => {
  for (const ok of ['1', '50', '1%', '99%', '100%', '1234567'])
    expect(rateControlProblem('max_concurrency', ok)).toBeNull();
  for (const bad of ['0', '01', '101%', '0%', '12345678', '10 ', '5x'])
    expect(rateControlProblem('max_concurrency', bad)).toMatch(/not a count or percentage/);
  for (const ok of ['0', '0%', '9%', '10%', '100%', '3']) expect(rateControlProblem('max_errors', ok)).toBeNull();
  for (const bad of ['-1', '00', '101%', '1.5']) expect(rateControlProblem('max_errors', bad)).not.toBeNull();
  expect(mergeRateControls({ max_concurrency: 10, max_errors: 0 }, undefined, { max_errors: '5%' })).toEqual({
    maxConcurrency: '10',
    maxErrors: '5%',
  });
});

test('the rule that triggered a run carries its controls to the target, over defaults; flags win over both', () => {
  const c = config(YAML);
  expect(
    planRun(request({ trigger: { kind: 'alert', rule: 'fleet-wide' } }), registry, c, { fallbackUser: 'me' }).target
      .ssm,
  ).toEqual({ maxConcurrency: '25%', maxErrors: '5' });
  expect(
    planRun(request({ trigger: { kind: 'alert', rule: 'plain' } }), registry, c, { fallbackUser: 'me' }).target.ssm,
  ).toEqual({ maxConcurrency: '10', maxErrors: '0' });
  expect(
    planRun(request({ trigger: { kind: 'api', rule: 'fleet-wide' }, ssm: { max_concurrency: '2' } }), registry, c, {
      fallbackUser: 'me',
    }).target.ssm,
  ).toEqual({ maxConcurrency: '2', maxErrors: '5' });
  // Not an SSM node: nothing to carry.
  expect(
    planRun(request({ node: 'web-1', trigger: { kind: 'alert', rule: 'fleet-wide' } }), registry, c, {
      fallbackUser: 'me',
    }).target.ssm,
  ).toBeUndefined();
});

test('rules.yaml refuses values SSM would refuse, with the path', () => {
  const out = validateConfig(
    `defaults:\n  ssm: {max_concurrency: 0}\nrules:\n  - name: r\n    matchers: ['a="b"']\n    steps: [{action: echo}]\n    ssm: {max_errors: "101%", max_concurency: 3}\n`,
    'rules.yaml',
  );
  expect(out.errors.map((e) => `${e.line}: ${e.path}: ${e.message}`)).toEqual([
    '2: defaults.ssm.max_concurrency: must be >= 1',
    '7: rules[0].ssm: must NOT have additional properties (unknown key "max_concurency")',
    '7: rules[0].ssm.max_errors: must match pattern "^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$"',
  ]);
});
