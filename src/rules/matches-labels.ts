import type { Matcher } from '../config/parse-matcher';
import type { Re2Regex } from '../config/re2-regex';

/**
 * Alertmanager semantics: a missing label matches as the empty string, so `foo=""` matches an
 * alert without foo and `foo!=""` requires it (prometheus/alertmanager pkg/labels/matcher.go).
 * Regexes run on the whole value, however long: RE2 takes time linear in its length.
 */
export function matcherMatches(m: Matcher, labels: Readonly<Record<string, string>>): boolean {
  const value = labelValue(labels, m.name) ?? '';
  switch (m.op) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return (m.regex as Re2Regex).test(value);
    case '!~':
      return !(m.regex as Re2Regex).test(value);
  }
}

/** The label's value, undefined when the alert has no such label (a matcher then sees ""). */
export function labelValue(labels: Readonly<Record<string, string>>, name: string): string | undefined {
  // Own properties only: a matcher on `constructor` must not see Object.prototype.
  const raw = Object.prototype.hasOwnProperty.call(labels, name) ? labels[name] : undefined;
  return typeof raw === 'string' ? raw : undefined;
}

/** True when every matcher matches (matchers are ANDed, as in Alertmanager routes). */
export function matchesLabels(matchers: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  return matchers.every((m) => matcherMatches(m, labels));
}
