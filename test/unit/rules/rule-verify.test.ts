import { validateConfig } from '../../../src/config/validate-config';
import { ruleEscalate, ruleSilence, ruleVerify } from '../../../src/rules/rule-verify';

test("a rule's own verify wins over defaults.verify; 0s turns it off; on: resolved never verifies", () => {
  const defaults = { within: '10m' };
  expect(ruleVerify({}, defaults)).toEqual({ within: '10m', withinMs: 600_000, query: null });
  expect(ruleVerify({ verify: { within: '2m', query: 'up == 0' } }, defaults)).toEqual({
    within: '2m',
    withinMs: 120_000,
    query: 'up == 0',
  });
  expect(ruleVerify({ verify: { within: '0s' } }, defaults)).toBeNull();
  expect(ruleVerify({}, undefined)).toBeNull();
  expect(ruleVerify({ on: 'resolved' }, defaults)).toBeNull();
});

describe('rules.yaml', () => {
  const file = (rule: string, defaults = '') =>
    `${defaults}rules:\n  - name: r\n    matchers: ['alertname="A"']\n    steps: [{action: noop}]\n${rule}`;

  test('verify is accepted per rule and under defaults, with within and query', () => {
    const out = validateConfig(
      file('    verify: {within: 10m, query: "up == 0"}\n', 'defaults:\n  verify: {within: 5m}\n'),
      'r.yaml',
    );
    expect(out.errors).toEqual([]);
    expect(out.value?.rules[0]?.verify).toEqual({ within: '10m', query: 'up == 0' });
    expect(out.value?.defaults.verify).toEqual({ within: '5m' });
  });

  test('a typo, a missing within or a bad duration is an error with its line', () => {
    const typo = validateConfig(file('    verify: {within: 10m, querry: x}\n'), 'r.yaml').errors;
    expect(typo.map((e) => `${e.line}: ${e.path}`)).toEqual(['5: rules[0].verify']);
    expect(typo[0]?.message).toMatch(/querry/);
    expect(validateConfig(file('    verify: {query: x}\n'), 'r.yaml').errors[0]?.message).toMatch(/within/);
    expect(validateConfig(file('    verify: {within: soon}\n'), 'r.yaml').errors[0]?.path).toBe(
      'rules[0].verify.within',
    );
  });

  test('verify on a rule run on: resolved is refused: its alert is already resolved', () => {
    const out = validateConfig(file('    on: resolved\n    verify: {within: 10m}\n'), 'r.yaml');
    expect(out.errors.map((e) => [e.path, e.message])).toEqual([
      ['rules[0].verify', 'verify watches a firing alert resolve: it has no meaning on a rule with on: resolved'],
    ]);
  });
});

test("silence: the rule's own wins over defaults.silence, during defaults to run; none on: resolved", () => {
  const defaults = { max: '30m' };
  expect(ruleSilence({}, defaults)).toEqual({ during: 'run', max: '30m', maxMs: 1_800_000 });
  expect(ruleSilence({ silence: { during: 'until_verified', max: '1h' } }, defaults)).toEqual({
    during: 'until_verified',
    max: '1h',
    maxMs: 3_600_000,
  });
  expect(ruleSilence({}, undefined)).toBeNull();
  expect(ruleSilence({ on: 'resolved' }, defaults)).toBeNull();
});

test('rules.yaml: silence needs max, knows run and until_verified only, and no on: resolved', () => {
  const file = (rule: string) =>
    `rules:\n  - name: r\n    matchers: ['alertname="A"']\n    steps: [{action: noop}]\n${rule}`;
  expect(validateConfig(file('    silence: {during: until_verified, max: 30m}\n'), 'r.yaml').errors).toEqual([]);
  expect(validateConfig(file('    silence: {during: run}\n'), 'r.yaml').errors[0]?.message).toMatch(/max/);
  expect(validateConfig(file('    silence: {during: forever, max: 1h}\n'), 'r.yaml').errors[0]?.path).toBe(
    'rules[0].silence.during',
  );
  const resolved = validateConfig(file('    on: resolved\n    silence: {max: 30m}\n'), 'r.yaml').errors;
  expect(resolved.map((e) => e.path)).toEqual(['rules[0].silence']);
  expect(validateConfig(`defaults:\n  silence: {max: 30m}\n${file('')}`, 'r.yaml').errors).toEqual([]);
});

test("escalate: the rule's own wins; on defaults to all three reasons, severity to error", () => {
  expect(ruleEscalate({}, {})).toEqual({ on: new Set(['failed', 'not_fixed', 'breaker_open']), severity: 'error' });
  expect(ruleEscalate({ escalate: { on: ['not_fixed'], severity: 'critical' } }, {})).toEqual({
    on: new Set(['not_fixed']),
    severity: 'critical',
  });
  expect(ruleEscalate({}, undefined)).toBeNull();
  const file = (e: string) =>
    `rules:\n  - name: r\n    matchers: ['alertname="A"']\n    steps: [{action: noop}]\n    escalate: ${e}\n`;
  expect(validateConfig(file('{on: [failed], severity: warning}'), 'r.yaml').errors).toEqual([]);
  expect(validateConfig(file('{on: [exploded]}'), 'r.yaml').errors[0]?.path).toBe('rules[0].escalate.on[0]');
  expect(validateConfig(file('{on: []}'), 'r.yaml').errors[0]?.path).toBe('rules[0].escalate.on');
});
