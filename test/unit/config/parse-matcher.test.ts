import { parseMatcher } from '../../../src/config/parse-matcher';

describe('parseMatcher: Alertmanager syntax', () => {
  test.each([
    ['alertname="DockerDaemonDown"', 'alertname', '=', 'DockerDaemonDown'],
    ['severity!="info"', 'severity', '!=', 'info'],
    ['severity=~"critical|page"', 'severity', '=~', 'critical|page'],
    ['job!~"node|blackbox"', 'job', '!~', 'node|blackbox'],
    ['  team = "sre"  ', 'team', '=', 'sre'],
    ['severity=critical', 'severity', '=', 'critical'],
    ['instance=10.0.1.23:9100', 'instance', '=', '10.0.1.23:9100'],
    ['summary="say \\"hi\\" \\\\ bye\\n"', 'summary', '=', 'say "hi" \\ bye\n'],
    ['foo=""', 'foo', '=', ''],
    ['_x1="Σ 🙂"', '_x1', '=', 'Σ 🙂'],
  ])('%s', (text, name, op, value) => {
    const out = parseMatcher(text);
    expect(out).toMatchObject({ ok: true, matcher: { name, op, value, text } });
  });

  test('regex operators get a fully anchored regex; equality operators none', () => {
    const re = parseMatcher('severity=~"critical|page"');
    expect(re.ok && re.matcher.regex?.source).toBe('^(?:critical|page)$');
    const eq = parseMatcher('severity="critical"');
    expect(eq.ok && eq.matcher.regex).toBeNull();
  });

  test("RE2's flags: (?i), (?s), and (?m) that stays inside Alertmanager's anchoring", () => {
    const out = parseMatcher('env=~"(?i)prod"');
    expect(out.ok && out.matcher.regex?.test('PROD')).toBe(true);
    const dotAll = parseMatcher('msg=~"(?is)a.b"');
    expect(dotAll.ok && dotAll.matcher.regex?.test('A\nB')).toBe(true);
    const plain = parseMatcher('msg=~"a.b"');
    expect(plain.ok && plain.matcher.regex?.test('a\nb')).toBe(false);
    const multi = parseMatcher('msg=~"(?m)^x$"');
    expect(multi.ok && [multi.matcher.regex?.test('x'), multi.matcher.regex?.test('a\nx')]).toEqual([true, false]);
  });

  test.each([
    ['', 1, /empty matcher/],
    ['1abc="x"', 1, /expected a label name/],
    ['"quoted"="x"', 1, /quoted label names are not supported/],
    ['{a="b"}', 1, /one matcher per list item/],
    ['alertname', 10, /expected an operator/],
    ['alertname=="x"', 11, /unexpected "="; quote the value/],
    ['alertname=', 11, /missing value after =/],
    ['alertname="x', 11, /unterminated quoted value/],
    ['alertname="a\\d"', 13, /unknown escape \\d/],
    ['a="b", c="d"', 6, /one matcher per list item/],
    ['a="b" junk', 7, /unexpected "junk" after the value/],
    ['a=~"(unclosed"', 4, /invalid regex/],
    ['a=~"(x)\\\\1"', 4, /backreferences/],
  ])('%j is refused at column %d', (text, column, reason) => {
    const out = parseMatcher(text);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.column).toBe(column);
    expect(out.reason).toMatch(reason);
  });

  test.each(['(a+)+', '(a*)*', '(a|a)*', '(.*a){12}', '.*a.*a.*'])(
    '%s, refused as a backtracking risk before RUNE matched with RE2, is accepted as Alertmanager accepts it',
    (re) => {
      const out = parseMatcher(`label=~"${re}"`);
      expect(out.ok && out.matcher.regex?.test('a'.repeat(4096))).toBe(true);
    },
  );

  test.each([
    ['(x)\\1', /backreferences/],
    ['(?=a)a', /lookarounds/],
    ['(?<!a)b', /lookarounds/],
  ])('the regex %s is refused: RE2 has no such thing', (re, reason) => {
    const out = parseMatcher(`label=~"${re.replace(/\\/g, '\\\\')}"`);
    expect(out.ok).toBe(false);
    if (!out.ok) expect([out.column, out.reason]).toEqual([8, expect.stringMatching(reason)]);
  });

  test('a regex longer than 1024 characters is refused', () => {
    const out = parseMatcher(`a=~"${'x'.repeat(1025)}"`);
    expect(out).toMatchObject({ ok: false, reason: expect.stringMatching(/1025 characters long \(at most 1024\)/) });
    expect(parseMatcher(`a=~"${'x'.repeat(1024)}"`).ok).toBe(true);
  });
});
