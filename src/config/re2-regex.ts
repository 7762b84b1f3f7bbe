import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { runInThisContext } from 'node:vm';

/**
 * Matcher regexes run by RE2, the engine of Go's regexp that Alertmanager uses, compiled to
 * WebAssembly (re2-wasm): the same syntax and meaning as in alertmanager.yml, and matching time
 * linear in the length of the value whatever the pattern (no backtracking), so a crafted label
 * cannot stall the event loop. RE2 refuses what it cannot run in linear time (backreferences,
 * lookarounds) when the pattern is compiled, which is when rules.yaml loads.
 *
 * The WebAssembly instance has a fixed 16 MiB heap: each compiled pattern keeps a few KiB there
 * and RE2's match caches grow in it up to RE2's own budget. Patterns are therefore compiled once
 * per instance and shared (reloading rules.yaml does not compile its patterns again), and when the
 * heap runs out (WebAssembly aborts) or too many distinct patterns were compiled, the instance is
 * dropped and a fresh one compiles, on first use, only the patterns still matched.
 */

/** Longest regex accepted in a matcher (characters): bounds the per-byte cost of a match. */
export const MAX_REGEX_LENGTH = 1024;
/**
 * Longest value a regex is run on (bytes of UTF-8): the webhook body limit, so any label a webhook
 * carries is matched whole. A value and its match are copied into the heap (2 × 2 MiB fit in a
 * fresh instance, 2 × 3 MiB do not); a longer value (only from a file given to the CLI) matches no
 * regex: `=~` is false and `!~` true.
 */
export const MAX_REGEX_VALUE_BYTES = 2 * 1024 * 1024;
/** Distinct patterns compiled in one WebAssembly instance before it is replaced by a fresh one. */
const MAX_PROGRAMS = 1000;
/**
 * A call into WebAssembly costs microseconds where a JavaScript RegExp took nanoseconds, and label
 * values repeat (alertname, job, severity): each regex remembers its answers for short values.
 */
const MEMO_VALUE_MAX = 128;
const MEMO_SIZE = 256;

/** A matcher's regex: anchored as Alertmanager anchors it, matched by RE2. */
export interface Re2Regex {
  /** What RE2 runs: `^(?:pattern)$`. */
  readonly source: string;
  /** True when RE2 matches `value` (a missing label is the empty string). */
  test(value: string): boolean;
}

interface WasmRe2 {
  ok(): boolean;
  error(): string;
  match(input: string, start: number, captureGroups: boolean): { index: number };
  /** Frees the compiled pattern in the instance's heap (embind). */
  delete(): void;
}
type WasmRe2Class = new (pattern: string, ignoreCase: boolean, multiline: boolean, dotAll: boolean) => WasmRe2;
interface Instance {
  WrappedRE2: WasmRe2Class;
  programs: Map<string, WasmRe2>;
}

/**
 * Compiles `pattern` as Alertmanager does (`^(?:pattern)$`, pkg/labels/matcher.go), or says why
 * RE2 (Go's regexp syntax) refuses it.
 */
export function compileRe2(pattern: string): Re2Regex | string {
  if (pattern.length > MAX_REGEX_LENGTH)
    return `regex is ${pattern.length} characters long (at most ${MAX_REGEX_LENGTH})`;
  const syntax = goSyntax(pattern);
  if (typeof syntax !== 'string') return syntax.problem;
  const source = `^(?:${syntax})$`;
  const compiled = withInstance((i) => program(i, source));
  if (typeof compiled === 'string') return `invalid regex: ${compiled}`;
  const run = (value: string): boolean =>
    fits(value) &&
    // Go's JSON decoder turns a lone surrogate (`"\ud800"`) into U+FFFD; so does this.
    withInstance((i) => (program(i, source) as WasmRe2).match(toWellFormed(value), 0, false).index >= 0);
  const memo = new Map<string, boolean>();
  return {
    source,
    test: (value) => {
      if (value.length > MEMO_VALUE_MAX) return run(value);
      let known = memo.get(value);
      if (known === undefined) {
        if (memo.size >= MEMO_SIZE) memo.clear();
        known = run(value);
        memo.set(value, known);
      }
      return known;
    },
  };
}

let current: Instance | null = null;

/** Runs `use` on the instance; once more on a fresh one when WebAssembly aborted (heap exhausted). */
function withInstance<T>(use: (i: Instance) => T): T {
  try {
    return use((current ??= newInstance()));
  } catch (err) {
    if ((err as Error | undefined)?.name !== 'RuntimeError') throw err;
    current = newInstance();
    return use(current);
  }
}

/** `source` compiled in instance `i` (once, on first use), or why RE2 refuses it. */
function program(i: Instance, source: string): WasmRe2 | string {
  const known = i.programs.get(source);
  if (known !== undefined) return known;
  if (i.programs.size >= MAX_PROGRAMS) {
    // Start over rather than fill the heap: the patterns in use compile again as they are met.
    current = newInstance();
    return program(current, source);
  }
  const p = new i.WrappedRE2(source, false, false, false);
  if (!p.ok()) {
    const why = p.error();
    p.delete();
    return why;
  }
  i.programs.set(source, p);
  return p;
}

const GLUE = require.resolve('re2-wasm/build/wasm/re2.js');
let glue: ((...args: unknown[]) => void) | null = null;

/** A new instance of re2-wasm's module, with its own heap (its glue code run again, as Node would). */
function newInstance(): Instance {
  glue ??= runInThisContext(
    `(function (exports, require, module, __filename, __dirname, Module) {${readFileSync(GLUE, 'utf8')}\n})`,
    { filename: GLUE },
  ) as (...args: unknown[]) => void;
  const module = { exports: {} as { WrappedRE2: WasmRe2Class } };
  // printErr: an abort is handled here (a fresh instance), not printed on stderr.
  glue(module.exports, createRequire(GLUE), module, GLUE, dirname(GLUE), { printErr: () => undefined });
  return { WrappedRE2: module.exports.WrappedRE2, programs: new Map() };
}

function fits(value: string): boolean {
  return value.length * 3 <= MAX_REGEX_VALUE_BYTES || Buffer.byteLength(value, 'utf8') <= MAX_REGEX_VALUE_BYTES;
}

function toWellFormed(value: string): string {
  const s = value as string & { isWellFormed(): boolean; toWellFormed(): string };
  return s.isWellFormed() ? value : s.toWellFormed();
}

/**
 * Where RE2 (C++) and Go's regexp differ: Go refuses `\C` (one byte) and, since Go 1.22, takes
 * `(?<name>…)` for `(?P<name>…)`. Backreferences and lookarounds get a clearer message than RE2's
 * "invalid escape sequence". Returns the pattern for RE2, or the problem.
 */
function goSyntax(pattern: string): string | { problem: string } {
  const unsupported = (what: string) => ({
    problem: `${what} are not supported: RE2, the regex engine of Alertmanager (and of RUNE), has none`,
  });
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    const next = pattern[i + 1] ?? '';
    if (ch === '\\') {
      if (next === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const stop = end < 0 ? pattern.length : end + 2;
        out += pattern.slice(i, stop);
        i = stop - 1;
        continue;
      }
      if (/[1-9]/.test(next) || next === 'k') return unsupported('backreferences (\\1, \\k<name>)');
      if (next === 'C') return { problem: 'invalid escape sequence: \\C (Go does not match single bytes)' };
      out += ch + next;
      i++;
    } else if (inClass) {
      if (ch === '[' && next === ':') {
        const end = pattern.indexOf(':]', i + 2);
        const stop = end < 0 ? i + 1 : end + 2;
        out += pattern.slice(i, stop);
        i = stop - 1;
        continue;
      }
      if (ch === ']') inClass = false;
      out += ch;
    } else if (ch === '[') {
      // A `]` right after `[` or `[^` is a literal member of the class.
      const start = i + (next === '^' ? 2 : 1);
      const first = pattern[start] === ']' ? start + 1 : start;
      out += pattern.slice(i, first);
      i = first - 1;
      inClass = true;
    } else if (ch === '(' && next === '?') {
      const rest = pattern.slice(i + 2, i + 4);
      if (/^(=|!|<=|<!)/.test(rest)) return unsupported('lookarounds ((?=…), (?!…), (?<=…), (?<!…))');
      if (rest.startsWith('<')) {
        out += '(?P';
        i += 1; // the `<` and the name follow as they are
        continue;
      }
      out += ch;
    } else {
      out += ch;
    }
  }
  return out;
}
