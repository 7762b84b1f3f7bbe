import { checkRegexSafety } from '../../../src/config/check-regex-safety';
import { MAX_REGEX_INPUT } from '../../../src/rules/matches-labels';
import { parseMatcher } from '../../../src/config/parse-matcher';

describe('checkRegexSafety', () => {
  test.each([
    'critical|page',
    '.*foo.*',
    '(.*prod.*|.*stage.*)',
    'web-[0-9]+',
    '[a-z]+-[0-9]+-.*',
    '(foo|bar)+',
    '(ab)+c',
    '10\\.0\\.[0-9]{1,3}\\.[0-9]{1,3}:9100',
    '(?<site>eu|us)-.+',
    '\\p{L}+',
    // A mandatory character the repetitions before it cannot consume bounds each of them.
    '[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(:[0-9]+)?',
    '[a-z]+-[a-z]+-[a-z]+-[0-9]+',
  ])('accepts %s', (re) => {
    expect(checkRegexSafety(re, 'u')).toBeNull();
  });

  test.each([
    ['(a+)+', /nested quantifier in \(a\+\)\+/],
    ['(a*)*', /nested quantifier/],
    ['((ab)+c)*', /nested quantifier/],
    ['(a?a?)+', /nested quantifier/],
    ['([a-z]+\\.)*', /nested quantifier/],
    ['(a|a)*', /alternatives that can start with the same character/],
    ['(a|ab)+', /alternatives that can start with the same character/],
    ['(A|a)+', /same character/, 'iu'],
    ['(.|x)*', /same character/],
    ['(a)\\1', /backreferences/],
    ['(?<n>a)\\k<n>', /backreferences/],
    ['(?=a).', /lookarounds/],
    ['(?!a).', /lookarounds/],
    ['(?<=a)b', /lookarounds/],
    ['(?<!a)b', /lookarounds/],
    ['.*a.*a.*', /more than two repetitions/],
    ['\\d+\\d+\\d+', /more than two repetitions/],
    ['.*foo.*bar.*', /more than two repetitions/],
    ['[a-z0-9]*1[a-z0-9]*1[a-z0-9]*', /more than two repetitions/],
    ['ж+ж+ж+', /same character "ж"/], // characters of the pattern itself are tried too
  ])('refuses %s', (re, reason, flags = 'u') => {
    expect(checkRegexSafety(re, flags)).toMatch(reason);
  });

  test('the analysis of a pattern of the longest length takes milliseconds', () => {
    const started = Date.now();
    for (const seg of ['[a-c]+x0', '(ab|cd)?', 'a{2,3}b.', '(x+y)?z'])
      checkRegexSafety(seg.repeat(Math.floor(1024 / seg.length)), 'u');
    expect(Date.now() - started).toBeLessThan(500);
  });

  test('an accepted pattern stays fast on a hostile value of the longest length matched', () => {
    const parsed = parseMatcher('x=~".*a.*b"');
    if (!parsed.ok) throw new Error(parsed.reason);
    const hostile = 'a'.repeat(MAX_REGEX_INPUT);
    const started = process.hrtime.bigint();
    expect(parsed.matcher.regex!.test(hostile)).toBe(false);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
  });
});
