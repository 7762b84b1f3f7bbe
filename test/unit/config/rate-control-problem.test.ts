import { rateControlProblem } from '../../../src/config/rate-control-problem';
import { validateConfig } from '../../../src/config/validate-config';

test("SSM's patterns (docs/protocols.md §4.1): counts and percentages, at most 7 characters", () => {
  for (const ok of ['1', '50', '1%', '99%', '100%', '1234567'])
    expect(rateControlProblem('max_concurrency', ok)).toBeNull();
  for (const bad of ['0', '01', '101%', '0%', '12345678', '10 ', '5x'])
    expect(rateControlProblem('max_concurrency', bad)).toMatch(/not a count or percentage/);
  for (const ok of ['0', '0%', '9%', '10%', '100%', '3']) expect(rateControlProblem('max_errors', ok)).toBeNull();
  for (const bad of ['-1', '00', '101%', '1.5']) expect(rateControlProblem('max_errors', bad)).not.toBeNull();
});

test('rules.yaml refuses values SSM would refuse, with the path', () => {
  const out = validateConfig(
    [
      'defaults:',
      '  ssm: {max_concurrency: 0}',
      'rules:',
      '  - name: r',
      `    matchers: ['a="b"']`,
      '    steps: [{action: echo}]',
      '    ssm: {max_errors: "101%", max_concurency: 3}',
      '',
    ].join('\n'),
    'rules.yaml',
  );
  expect(out.errors.map((e) => `${e.line}: ${e.path}: ${e.message}`)).toEqual([
    '2: defaults.ssm.max_concurrency: must be >= 1',
    '7: rules[0].ssm: must NOT have additional properties (unknown key "max_concurency")',
    '7: rules[0].ssm.max_errors: must match pattern "^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$"',
  ]);
});
