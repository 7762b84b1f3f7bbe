import { join } from 'node:path';
import { validateConfig } from '../../../src/config/validate-config';
import { planRun } from '../../../src/orchestrator/plan-run';
import type { RunRequest } from '../../../src/core/types';
import { loadRegistry } from '../../../src/plugins/load-registry';
import { mergeRateControls } from '../../../src/transports/ssm-rate-controls';

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

test('layers merge per field, later ones winning; counts become strings', () => {
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
