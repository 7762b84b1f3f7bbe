import { isTemplate, parseTemplate } from '../../../src/config/parse-template';

describe('parseTemplate', () => {
  test('text and expressions with chained filters become a tree', () => {
    const out = parseTemplate('host={{ labels.instance | hostname | default "none" | upper }}!');
    expect(out).toEqual({
      ok: true,
      template: {
        source: 'host={{ labels.instance | hostname | default "none" | upper }}!',
        parts: [
          { kind: 'text', text: 'host=' },
          {
            kind: 'expr',
            expr: {
              root: 'labels',
              key: 'instance',
              filters: [{ name: 'hostname' }, { name: 'default', arg: 'none' }, { name: 'upper' }],
            },
          },
          { kind: 'text', text: '!' },
        ],
      },
    });
  });

  test.each([
    '{{labels.x}}',
    '{{ annotations.summary }}',
    '{{ alert.status }}',
    '{{ alert.fingerprint | lower }}',
    '{{ alert.startsAt }}',
    '{{ labels.x | trim }}',
    'no template',
    '{{ labels.x | default "a \\"b\\" }}" }}',
  ])('%s parses', (src) => {
    expect(parseTemplate(src).ok).toBe(true);
  });

  test.each([
    ['{{ constructor }}', 4, /"constructor" is refused/],
    ['{{ labels.__proto__ }}', 11, /"__proto__" is refused/],
    ['{{ annotations.prototype }}', 16, /"prototype" is refused/],
    ['{{ labels.constructor.name }}', 11, /refused/],
    ['{{ process.env.HOME }}', 4, /unknown name "process"/],
    ['{{ alert.endsAt }}', 10, /unknown field alert.endsAt/],
    ['{{ labels.x | shell }}', 15, /unknown filter "shell" \(filters: hostname, default "x", lower, upper, trim\)/],
    ['{{ labels.x | default }}', 23, /default needs a quoted value/],
    ['{{ labels.x | default "a }}', 23, /unterminated string/],
    ['{{ labels }}', 11, /expected .<name> after labels/],
    ['{{ labels.x.y }}', 12, /has no fields/],
    ['{{ labels.x labels.y }}', 13, /expected \| or }}/],
    ['{{ }}', 1, /empty/],
    ['a {{ labels.x', 3, /unterminated {{/],
    ['{{ labels["x"] }}', 10, /unexpected "\["/],
    ['{{ labels.x; rm -rf / }}', 12, /unexpected ";"/],
  ])('%s is refused at column %d', (src, column, reason) => {
    const out = parseTemplate(src);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.column).toBe(column);
    expect(out.reason).toMatch(reason);
  });

  test('isTemplate: only strings with {{ are templates', () => {
    expect(isTemplate('30m')).toBe(false);
    expect(isTemplate('a }} b')).toBe(false);
    expect(isTemplate('{{ labels.x }}')).toBe(true);
  });
});
