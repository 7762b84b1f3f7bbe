import { compileRe2, MAX_REGEX_LENGTH, MAX_REGEX_VALUE_BYTES, type Re2Regex } from '../../../src/config/re2-regex';

function re(pattern: string): Re2Regex {
  const out = compileRe2(pattern);
  if (typeof out === 'string') throw new Error(`${pattern}: ${out}`);
  return out;
}

const ms = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;

describe("compileRe2: Alertmanager's regexes (Go's RE2), anchored as Alertmanager anchors them", () => {
  test.each([
    ['critical|page', 'page', true],
    ['crit', 'critical', false], // the whole value, not a part
    ['web-[0-9]+', 'web-12', true],
    ['(?i)prod', 'PROD', true],
    ['prod(?i)', 'PROD', false], // a flag applies from where it is written
    ['a.b', 'a\nb', false],
    ['(?s)a.b', 'a\nb', true],
    // (?m) stays inside Alertmanager's ^(?:…)$: the anchoring still holds.
    ['(?m)^x$', 'a\nx', false],
    ['(?m)a$\n^b', 'a\nb', true],
    // Go's `.` is any character but \n (JavaScript's also stops at \r and U+2028).
    ['a.b', 'a\rb', true],
    ['a.b', 'a\u2028b', true],
    ['.', '🙂', true], // one code point
    // Go's \d, \w and \s are ASCII; \pL is Unicode.
    ['\\d', '٣', false],
    ['\\w+', 'héllo', false],
    ['\\pL+', 'héllo', true],
    ['[[:alpha:]]+', 'abc', true],
    ['\\Q.*\\E', '.*', true],
    ['\\Q.*\\E', 'anything', false],
    ['(?U)a+', 'aaa', true],
    ['(?P<site>eu|us)-.+', 'eu-west', true],
    ['(?<site>eu|us)-.+', 'us-east', true], // Go ≥ 1.22 takes this spelling too
    ['[]a]+', ']a]', true],
    ['[^]a]', 'b', true],
    ['\\x{fffd}', '\ud800', true], // a lone surrogate reads as U+FFFD, as Go's JSON decoder makes it
    ['', '', true],
  ])('%j on %j → %s', (pattern, value, expected) => {
    expect(re(pattern).test(value)).toBe(expected);
  });

  test('the source RE2 runs is ^(?:pattern)$', () => {
    expect(re('critical|page').source).toBe('^(?:critical|page)$');
  });

  test.each([
    ['(a)\\1', /backreferences \(\\1, \\k<name>\) are not supported: RE2, the regex engine of Alertmanager/],
    ['(?P<n>a)\\k<n>', /backreferences/],
    ['(?=a)a', /lookarounds .* are not supported/],
    ['(?!a).', /lookarounds/],
    ['(?<=a)b', /lookarounds/],
    ['(?<!a)b', /lookarounds/],
    ['\\C', /invalid escape sequence: \\C/],
    ['a\\Z', /invalid regex: invalid escape sequence: \\Z/],
    ['\\u0041', /invalid regex: invalid escape sequence: \\u/],
    ['a{1001}', /invalid regex: invalid repetition size: \{1001\}/],
    ['x**', /invalid regex: bad repetition operator: \*\*/],
    ['(unclosed', /invalid regex: missing \)/],
    ['x'.repeat(MAX_REGEX_LENGTH + 1), /1025 characters long \(at most 1024\)/],
  ])('%j is refused: %s', (pattern, reason) => {
    expect(compileRe2(pattern)).toMatch(reason);
  });

  test('escapes and classes are read as RE2 reads them: \\1 inside \\Q…\\E or a class is no backreference', () => {
    expect(re('\\Q\\1(?=\\E').test('\\1(?=')).toBe(true);
    expect(re('[\\\\1]+').test('\\1')).toBe(true);
    expect(re('[(?=]+').test('(?=')).toBe(true);
  });

  test('patterns that make a backtracking engine take seconds or hours run in linear time', () => {
    // 450 alerts' worth of 4 KiB values each; then 64 KiB values.
    const cases: [string, string][] = [
      ['.*x.*y', 'x'.repeat(4096)],
      ['(a+)+$', `${'a'.repeat(4096)}!`],
      ['(a|aa)*b', 'a'.repeat(4096)],
      ['(.*a){12}', 'a'.repeat(4096)],
      ['.*a.*a.*a.*b', 'a'.repeat(4096)],
    ];
    for (const [pattern, value] of cases) {
      const regex = re(pattern);
      const started = process.hrtime.bigint();
      for (let i = 0; i < 450; i++) regex.test(value);
      expect([pattern, ms(started) < 2000]).toEqual([pattern, true]);
      const long = value.repeat(16);
      const once = process.hrtime.bigint();
      regex.test(long);
      expect([pattern, 'x16', ms(once) < 200]).toEqual([pattern, 'x16', true]);
    }
  });

  test('a value up to 2 MiB (the webhook body limit) is matched whole; a longer one matches no regex', () => {
    const full = `${'é'.repeat(MAX_REGEX_VALUE_BYTES / 2 - 1)}y`; // 2 bytes each in UTF-8, 2 MiB in all
    expect([re('é*y').test(full), re('é*').test(full), re('.*').test(full)]).toEqual([true, false, true]);
    const over = `${full}é`;
    expect([re('.*').test(over), re('é*y').test(over)]).toEqual([false, false]);
  });

  test('when the WebAssembly heap runs out (compiled patterns, caches, a large value), matching goes on', () => {
    // About 10 KiB of heap each: 800 of them leave no room for a 2 MiB value and its match in the
    // 16 MiB heap, and WebAssembly aborts; without a fresh instance every later match would throw.
    const long = (i: number) => `${'abcdefgh'.repeat(120)}${i}`;
    const many = Array.from({ length: 800 }, (_, i) => re(long(i)));
    const big = 'x'.repeat(MAX_REGEX_VALUE_BYTES);
    expect(re('x*').test(big)).toBe(true);
    expect(re('x*y').test(big)).toBe(false);
    expect([many[0]!.test(long(0)), many[799]!.test(long(799)), many[799]!.test(long(798))]).toEqual([
      true,
      true,
      false,
    ]);
  });

  test('more distinct patterns than the heap holds: each still matches, compiled again when needed', () => {
    // About 10 KiB of heap each: 2,000 of them do not fit in one instance.
    const long = (i: number) => `${'abcdefgh'.repeat(120)}${i}`;
    const many = Array.from({ length: 2000 }, (_, i) => re(long(i)));
    for (const i of [0, 1, 2, 998, 999, 1000, 1001, 1998, 1999]) {
      expect([i, many[i]!.test(long(i)), many[i]!.test(long(i + 1))]).toEqual([i, true, false]);
    }
  });
});
