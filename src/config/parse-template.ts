/**
 * The template language of rules.yaml: `{{ labels.x }}`, `{{ annotations.y }}`,
 * `{{ alert.status }}`, `{{ alert.fingerprint }}`, `{{ alert.startsAt }}`, each followed by filters
 * chained with `|`. It is parsed here into a small tree; render-template.ts interprets the tree.
 * There is no evaluation and no property walk: the only names are the fixed ones below.
 */

export type AlertField = 'status' | 'fingerprint' | 'startsAt';
export type Filter = { name: 'hostname' | 'lower' | 'upper' | 'trim' } | { name: 'default'; arg: string };

export type TemplateExpr =
  | { root: 'labels' | 'annotations'; key: string; filters: Filter[] }
  | { root: 'alert'; key: AlertField; filters: Filter[] };

export type TemplatePart = { kind: 'text'; text: string } | { kind: 'expr'; expr: TemplateExpr };

export interface Template {
  source: string;
  parts: TemplatePart[];
}

export type TemplateParse = { ok: true; template: Template } | { ok: false; column: number; reason: string };

const ALERT_FIELDS: readonly AlertField[] = ['status', 'fingerprint', 'startsAt'];
const PLAIN_FILTERS = ['hostname', 'lower', 'upper', 'trim'] as const;
const FILTER_LIST = 'hostname, default "x", lower, upper, trim';
const ROOT_LIST = 'labels.<name>, annotations.<name>, alert.status, alert.fingerprint, alert.startsAt';
/** Names that reach into JavaScript objects; refused anywhere so a template can never name them. */
const FORBIDDEN = new Set(['constructor', '__proto__', 'prototype']);

/** A string is a template when it contains `{{`; any other string is a literal. */
export function isTemplate(s: string): boolean {
  return s.includes('{{');
}

type Token = { kind: 'ident' | 'string' | '.' | '|' | '}}'; text: string; at: number };

class TemplateSyntaxError extends Error {
  constructor(
    readonly at: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** Parses a template once; errors carry the 1-based column in `source`. */
export function parseTemplate(source: string): TemplateParse {
  const parts: TemplatePart[] = [];
  let pos = 0;
  try {
    while (pos < source.length) {
      const open = source.indexOf('{{', pos);
      if (open === -1) {
        parts.push({ kind: 'text', text: source.slice(pos) });
        break;
      }
      if (open > pos) parts.push({ kind: 'text', text: source.slice(pos, open) });
      const tokens = tokenize(source, open + 2);
      parts.push({ kind: 'expr', expr: parseExpr(tokens, open) });
      pos = (tokens[tokens.length - 1] as Token).at + 2;
    }
  } catch (err) {
    if (err instanceof TemplateSyntaxError) return { ok: false, column: err.at + 1, reason: err.message };
    throw err;
  }
  return { ok: true, template: { source, parts } };
}

/** Tokens from `start` up to and including the closing `}}`. */
function tokenize(source: string, start: number): Token[] {
  const tokens: Token[] = [];
  let pos = start;
  for (;;) {
    while (pos < source.length && /\s/.test(source[pos] as string)) pos++;
    if (pos >= source.length) throw new TemplateSyntaxError(start - 2, 'unterminated {{ (missing }})');
    const ch = source[pos] as string;
    if (source.startsWith('}}', pos)) {
      tokens.push({ kind: '}}', text: '}}', at: pos });
      return tokens;
    }
    if (ch === '.' || ch === '|') {
      tokens.push({ kind: ch, text: ch, at: pos });
      pos++;
    } else if (ch === '"') {
      const [text, end] = readString(source, pos);
      tokens.push({ kind: 'string', text, at: pos });
      pos = end;
    } else {
      const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(pos))?.[0];
      if (ident === undefined) throw new TemplateSyntaxError(pos, `unexpected ${JSON.stringify(ch)} in {{ }}`);
      if (FORBIDDEN.has(ident))
        throw new TemplateSyntaxError(pos, `"${ident}" is refused in templates (they read only ${ROOT_LIST})`);
      tokens.push({ kind: 'ident', text: ident, at: pos });
      pos += ident.length;
    }
  }
}

function readString(source: string, start: number): [string, number] {
  let text = '';
  let pos = start + 1;
  while (pos < source.length) {
    const ch = source[pos] as string;
    if (ch === '"') return [text, pos + 1];
    if (ch === '\\') {
      const next = source[pos + 1];
      if (next !== '"' && next !== '\\')
        throw new TemplateSyntaxError(pos, 'unknown escape in string (known: \\" and \\\\)');
      text += next;
      pos += 2;
    } else {
      text += ch;
      pos++;
    }
  }
  throw new TemplateSyntaxError(start, 'unterminated string (missing closing ")');
}

function parseExpr(tokens: Token[], open: number): TemplateExpr {
  let i = 0;
  const next = (): Token => tokens[i++] as Token; // the last token is always }}
  const root = next();
  if (root.kind === '}}') throw new TemplateSyntaxError(open, `empty {{ }}: expected ${ROOT_LIST}`);
  if (root.kind !== 'ident' || !['labels', 'annotations', 'alert'].includes(root.text)) {
    throw new TemplateSyntaxError(root.at, `unknown name ${JSON.stringify(root.text)} (expected ${ROOT_LIST})`);
  }
  const dot = next();
  if (dot.kind !== '.') throw new TemplateSyntaxError(dot.at, `expected .<name> after ${root.text}`);
  const key = next();
  if (key.kind !== 'ident') throw new TemplateSyntaxError(key.at, `expected a name after ${root.text}.`);
  let expr: TemplateExpr;
  if (root.text === 'alert') {
    const field = ALERT_FIELDS.find((f) => f === key.text);
    if (!field)
      throw new TemplateSyntaxError(
        key.at,
        `unknown field alert.${key.text} (alert has status, fingerprint, startsAt)`,
      );
    expr = { root: 'alert', key: field, filters: [] };
  } else {
    expr = { root: root.text as 'labels' | 'annotations', key: key.text, filters: [] };
  }
  for (let t = next(); t.kind !== '}}'; t = next()) {
    if (t.kind === '.')
      throw new TemplateSyntaxError(t.at, `${root.text}.${key.text} has no fields (values are strings)`);
    if (t.kind !== '|') throw new TemplateSyntaxError(t.at, `expected | or }}, found ${JSON.stringify(t.text)}`);
    const name = next();
    if (name.kind !== 'ident')
      throw new TemplateSyntaxError(name.at, `expected a filter name after | (filters: ${FILTER_LIST})`);
    if (name.text === 'default') {
      const arg = next();
      if (arg.kind !== 'string') throw new TemplateSyntaxError(arg.at, 'default needs a quoted value: default "x"');
      expr.filters.push({ name: 'default', arg: arg.text });
    } else {
      const plain = PLAIN_FILTERS.find((f) => f === name.text);
      if (!plain)
        throw new TemplateSyntaxError(name.at, `unknown filter ${JSON.stringify(name.text)} (filters: ${FILTER_LIST})`);
      expr.filters.push({ name: plain });
    }
  }
  return expr;
}
