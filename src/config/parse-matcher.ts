import { compileRe2, type Re2Regex } from './re2-regex';

/** Alertmanager's four matcher operators (https://prometheus.io/docs/alerting/latest/configuration/#matcher). */
export type MatchOp = '=' | '!=' | '=~' | '!~';

/** One parsed matcher, e.g. `severity=~"critical|page"`. */
export interface Matcher {
  /** The matcher as written, for messages. */
  text: string;
  name: string;
  op: MatchOp;
  /** The unquoted value (for regex operators: the pattern as written). */
  value: string;
  /** For `=~` and `!~`: the pattern, anchored as Alertmanager anchors it (`^(?:re)$`), run by RE2. */
  regex: Re2Regex | null;
}

export type MatcherParse = { ok: true; matcher: Matcher } | { ok: false; column: number; reason: string };

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
// Alertmanager's UTF-8 matchers lexer ends an unquoted token at whitespace or one of these
// (prometheus/alertmanager matcher/parse/lexer.go).
const RESERVED = new Set(['{', '}', '!', '=', '~', ',', '"', "'", '`', '\\']);
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t' };

/**
 * Parses one matcher in Alertmanager syntax: `name="value"`, `name!="value"`, `name=~"re"`,
 * `name!~"re"`; the value may also be unquoted (`severity=critical`), as in Alertmanager's
 * UTF-8 parser. Regexes are compiled here, once, at load time, by RE2 (Go's syntax, as Alertmanager).
 */
export function parseMatcher(text: string): MatcherParse {
  let pos = skipSpace(text, 0);
  const fail = (at: number, reason: string): MatcherParse => ({ ok: false, column: at + 1, reason });

  if (text[pos] === '{') return fail(pos, 'write one matcher per list item, without { }');
  if (text[pos] === '"')
    return fail(pos, 'quoted label names are not supported; a label name is [a-zA-Z_][a-zA-Z0-9_]*');
  const name = LABEL_NAME.exec(text.slice(pos))?.[0];
  if (name === undefined) {
    return fail(
      pos,
      pos >= text.length
        ? 'empty matcher: expected name="value"'
        : `expected a label name ([a-zA-Z_][a-zA-Z0-9_]*), found ${JSON.stringify(text[pos])}`,
    );
  }
  pos = skipSpace(text, pos + name.length);

  const op = (['=~', '!~', '!=', '='] as const).find((o) => text.startsWith(o, pos));
  if (op === undefined) {
    return fail(
      pos,
      pos >= text.length
        ? `expected an operator (=, !=, =~, !~) after ${name}`
        : `expected an operator (=, !=, =~, !~), found ${JSON.stringify(text[pos])}`,
    );
  }
  pos = skipSpace(text, pos + op.length);

  const valueStart = pos;
  let value: string;
  if (text[pos] === '"') {
    const quoted = readQuoted(text, pos);
    if ('reason' in quoted) return fail(quoted.at, quoted.reason);
    value = quoted.value;
    pos = quoted.end;
  } else {
    const start = pos;
    while (pos < text.length && !isSpace(text[pos] as string) && !RESERVED.has(text[pos] as string)) pos++;
    if (pos === start) {
      return fail(
        pos,
        pos >= text.length
          ? `missing value after ${op} (write "" for the empty value)`
          : `unexpected ${JSON.stringify(text[pos])}; quote the value: ${name}${op}"…"`,
      );
    }
    value = text.slice(start, pos);
  }
  pos = skipSpace(text, pos);
  if (pos < text.length) {
    return fail(
      pos,
      text[pos] === ','
        ? 'write one matcher per list item'
        : `unexpected ${JSON.stringify(text.slice(pos, pos + 10))} after the value`,
    );
  }

  let regex: Re2Regex | null = null;
  if (op === '=~' || op === '!~') {
    const compiled = compileRe2(value);
    if (typeof compiled === 'string') return fail(valueStart, compiled);
    regex = compiled;
  }
  return { ok: true, matcher: { text, name, op, value, regex } };
}

function readQuoted(text: string, start: number): { value: string; end: number } | { at: number; reason: string } {
  let value = '';
  let pos = start + 1;
  while (pos < text.length) {
    const ch = text[pos] as string;
    if (ch === '"') return { value, end: pos + 1 };
    if (ch === '\\') {
      const next = text[pos + 1];
      const replacement = next === undefined ? undefined : ESCAPES[next];
      if (replacement === undefined) {
        return {
          at: pos,
          reason:
            next === undefined
              ? 'unterminated quoted value (missing closing ")'
              : `unknown escape \\${next} (known: \\" \\\\ \\n \\t; a regex backslash is written \\\\)`,
        };
      }
      value += replacement;
      pos += 2;
    } else {
      value += ch;
      pos++;
    }
  }
  return { at: start, reason: 'unterminated quoted value (missing closing ")' };
}

function isSpace(ch: string): boolean {
  return /\s/.test(ch);
}

function skipSpace(text: string, pos: number): number {
  while (pos < text.length && isSpace(text[pos] as string)) pos++;
  return pos;
}
