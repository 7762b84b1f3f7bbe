import { matcherMatches, matchesLabels } from '../../../src/rules/matches-labels';
import { parseMatcher, type Matcher } from '../../../src/config/parse-matcher';

function m(text: string): Matcher {
  const out = parseMatcher(text);
  if (!out.ok) throw new Error(`${text}: ${out.reason}`);
  return out.matcher;
}

const labels = { alertname: 'HostHighCpuLoad', instance: 'web-1:9100', severity: 'critical', empty: '' };

describe('matcherMatches: Alertmanager semantics', () => {
  test.each([
    ['alertname="HostHighCpuLoad"', true],
    ['alertname="hosthighcpuload"', false],
    ['alertname!="HostHighCpuLoad"', false],
    ['severity=~"critical|page"', true],
    ['severity=~"crit"', false], // anchored: a prefix is not a match
    ['instance=~"web"', false], // anchored: =~"web" does not match web-1
    ['instance=~"web-1.*"', true],
    ['severity!~"info|warning"', true],
    ['severity!~"crit.*"', false],
    // A missing label matches as the empty string.
    ['team=""', true],
    ['team!=""', false],
    ['team=~".*"', true],
    ['team=~".+"', false],
    ['team!~".+"', true],
    ['team="x"', false],
    ['team!="x"', true],
    // A label present with the empty value is the same as missing, as in Alertmanager.
    ['empty=""', true],
    ['empty!=""', false],
    ['severity!=""', true],
    // Names of Object.prototype members are labels like any other.
    ['constructor=""', true],
    ['toString=~".+"', false],
  ])('%s → %s', (text, expected) => {
    expect(matcherMatches(m(text), labels)).toBe(expected);
  });

  test('matchers are ANDed', () => {
    expect(matchesLabels([m('alertname="HostHighCpuLoad"'), m('severity="critical"')], labels)).toBe(true);
    expect(matchesLabels([m('alertname="HostHighCpuLoad"'), m('severity="warning"')], labels)).toBe(false);
  });

  test('a long value is run through the regex whole, as Alertmanager does (no cap at 4096 characters)', () => {
    const long = 'x'.repeat(64 * 1024);
    const big = { v: long };
    expect(matcherMatches(m(`v="${long}"`), big)).toBe(true);
    expect(matcherMatches(m(`v!="${long}"`), big)).toBe(false);
    expect(matcherMatches(m('v=~"x*"'), big)).toBe(true);
    expect(matcherMatches(m('v!~"x*"'), big)).toBe(false);
    expect(matcherMatches(m('v=~".*y"'), big)).toBe(false);
  });
});
