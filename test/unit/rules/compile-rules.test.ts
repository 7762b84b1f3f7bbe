import { compileRules, DEFAULT_NODE_TEMPLATE } from '../../../src/rules/compile-rules';

describe('compileRules', () => {
  test('applies the defaults: node from labels.instance, on firing, no notifiers, stop on error', () => {
    const [rule] = compileRules([{ name: 'r', matchers: ['a="b"'], steps: [{ action: 'noop' }] }]);
    expect(rule).toMatchObject({
      name: 'r',
      on: 'firing',
      notify: [],
      steps: [{ action: 'noop', continueOnError: false }],
    });
    expect(rule!.node.source).toBe(DEFAULT_NODE_TEMPLATE);
    expect(rule!.matchers.map((m) => [m.name, m.op, m.value])).toEqual([['a', '=', 'b']]);
  });

  test('keeps what the rule says', () => {
    const [rule] = compileRules([
      {
        name: 'r',
        matchers: ['a="b"'],
        node: '{{ labels.host }}',
        on: 'resolved',
        notify: ['slack'],
        steps: [{ action: 'noop', continue_on_error: true }],
      },
    ]);
    expect(rule).toMatchObject({ on: 'resolved', notify: ['slack'], steps: [{ continueOnError: true }] });
    expect(rule!.node.source).toBe('{{ labels.host }}');
  });

  test('an unvalidated rule that does not parse is a CONFIG_INVALID fault, naming the rule', () => {
    expect(() => compileRules([{ name: 'bad', matchers: ['a=="b"'], steps: [{ action: 'noop' }] }])).toThrow(
      /rule "bad": matcher/,
    );
    expect(() =>
      compileRules([{ name: 'bad', matchers: ['a="b"'], node: '{{ x }}', steps: [{ action: 'noop' }] }]),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
