import type { NodeSpec, RuleSpec, StepSpec } from '../../../src/config/config-types';
import { validateConfig } from '../../../src/config/validate-config';

/*
 * The types of rules.yaml are derived from its schema. Each `@ts-expect-error` below is a value the
 * schema refuses; `npm run typecheck` fails if the types ever accept one (the directive is then unused),
 * and the test checks that the schema refuses it at run time too.
 */
const rule: RuleSpec = { name: 'r', matchers: ['a="b"'], steps: [{ action: 'noop' }] };

const refusedByTypes: [string, unknown][] = [
  // @ts-expect-error: `on` is firing or resolved
  ['on', { ...rule, on: 'sometimes' } satisfies RuleSpec],
  // @ts-expect-error: unknown keys are refused (additionalProperties: false)
  ['unknown key', { ...rule, desciption: 'typo' } satisfies RuleSpec],
  // @ts-expect-error: steps are required
  ['no steps', { name: 'r', matchers: ['a="b"'] } satisfies RuleSpec],
  // @ts-expect-error: a notifier is pagerduty, slack or webhook
  ['notifier', { ...rule, notify: ['email'] } satisfies RuleSpec],
  // @ts-expect-error: budget needs per
  ['budget', { ...rule, budget: { max_runs: 3 } } satisfies RuleSpec],
  // @ts-expect-error: params are an object
  ['params', { ...rule, steps: [{ action: 'noop', params: 'x' } satisfies StepSpec] }],
];
const refusedNodes: [string, unknown][] = [
  // @ts-expect-error: a port is a number
  ['port', { name: 'n', port: '22' } satisfies NodeSpec],
  // @ts-expect-error: transport is ssh, ssm or local
  ['transport', { name: 'n', transport: 'telnet' } satisfies NodeSpec],
];

test('what the types accept, the schema accepts', () => {
  const node: NodeSpec = { name: 'i-*', transport: 'ssm', instance_id: '{{ labels.instance_id }}' };
  const full: RuleSpec = { ...rule, on: 'resolved', notify: ['slack'], budget: { max_runs: 3, per: '1h' } };
  const text = JSON.stringify({ notify: { slack: { webhook_url_file: '/s' } }, nodes: [node], rules: [full] });
  expect(validateConfig(text, 'r.json').errors).toEqual([]);
});

const refused: [string, unknown][] = [
  ...refusedByTypes.map(([k, r]): [string, unknown] => [k, { rules: [r] }]),
  ...refusedNodes.map(([k, n]): [string, unknown] => [k, { nodes: [n] }]),
];

test.each(refused)('what the types refuse, the schema refuses: %s', (_label, doc) => {
  expect(validateConfig(JSON.stringify(doc), 'r.json').errors).not.toEqual([]);
});
