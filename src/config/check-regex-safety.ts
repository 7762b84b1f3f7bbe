/**
 * Load-time refusal of regexes that can backtrack for a long time on a hostile label value.
 *
 * JavaScript's engine backtracks, unlike Go's RE2 that Alertmanager uses, so a pattern that is
 * harmless in alertmanager.yml can stall RUNE's event loop here. Node 20 has no linear engine
 * without a flag, so we refuse the shapes that cause super-linear time instead:
 * - a repeated group that itself contains a quantifier (`(a+)+`, `(a*)*`, `(ab?)+`): exponential;
 * - a repeated group whose alternatives can start with the same character (`(a|a)*`, `(a|ab)+`);
 * - backreferences and lookarounds (not in RE2 either, so no Alertmanager matcher uses them);
 * - more than two repetitions that can all consume one same character in one stretch of the
 *   pattern (`.*a.*a.*`): time grows as the value length to that power (seconds at 4 KiB). Two are
 *   allowed (`.*foo.*`): label values are capped at MAX_REGEX_INPUT characters, so n² stays small.
 *   A mandatory character that the repetitions before it cannot consume ends a stretch
 *   (`[0-9]{1,3}\.[0-9]{1,3}`: the dot fixes where the first repetition stops).
 * The analysis is conservative: it may refuse a pattern that would in fact be safe; the message
 * says how to rewrite it.
 */

/** Longest regex accepted in a matcher (characters). */
export const MAX_REGEX_LENGTH = 1024;

/** Characters tried when deciding whether repeated atoms compete (the pattern's own are added). */
const SAMPLES: readonly string[] = [
  ...Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)),
  'é',
  'Σ',
  '\u00a0',
  '\u2028',
  '🙂',
];

interface Piece {
  /** The atom's source, without its quantifier. */
  src: string;
  kind: 'literal' | 'atom' | 'group' | 'assertion';
  /** True for a quantifier whose maximum is above one (`*`, `+`, `{2,}`, `{0,5}`). */
  repeats: boolean;
  quantified: boolean;
  /** The quantifier as written ('' when none). */
  quantifier: string;
  /** For groups: the alternatives, each a sequence of pieces. */
  alts?: Piece[][];
}

class Refused extends Error {}

/**
 * Returns why `pattern` (already known to compile with `flags`) is refused, or null when it is
 * safe to run on untrusted label values.
 */
export function checkRegexSafety(pattern: string, flags: string): string | null {
  let pieces: Piece[][];
  try {
    pieces = new PatternReader(pattern).readAlternatives();
  } catch (err) {
    if (err instanceof Refused) return err.message;
    throw err;
  }
  const structural = checkStructure(pieces, flags);
  if (structural) return structural;
  const ctx: Ctx = { flags, chars: [...new Set([...SAMPLES, ...pattern])], stretches: new WeakMap() };
  for (const c of ctx.chars) {
    if (maxOverlap(pieces, c, ctx) > 2) {
      return (
        `more than two repetitions (*, +, {n,m}) that can consume the same character ${JSON.stringify(c)}: ` +
        'matching time grows as the value length to that power; ' +
        'split it into several matchers on the same label (all must match)'
      );
    }
  }
  return null;
}

function checkStructure(alts: Piece[][], flags: string): string | null {
  for (const seq of alts) {
    for (const p of seq) {
      if (p.kind !== 'group' || !p.alts) continue;
      if (p.repeats && p.alts.some((alt) => alt.some(containsQuantifier))) {
        return (
          `nested quantifier in ${p.src}${p.quantifier}: a repeated group that contains a repetition ` +
          '(like (a+)+) can take exponential time; repeat a character class instead, e.g. [a-z.]+'
        );
      }
      if (p.repeats && p.alts.length > 1 && !startsAreDistinct(p.alts, flags.includes('i'))) {
        return (
          `alternatives that can start with the same character inside a repeated group ${p.src}${p.quantifier} ` +
          '(like (a|a)*) can take exponential time; use a character class or make each alternative start differently'
        );
      }
      const inner = checkStructure(p.alts, flags);
      if (inner) return inner;
    }
  }
  return null;
}

function containsQuantifier(p: Piece): boolean {
  return p.quantified || (p.alts?.some((alt) => alt.some(containsQuantifier)) ?? false);
}

/** Every alternative starts with a plain, unquantified literal, and no two share it. */
function startsAreDistinct(alts: Piece[][], ignoreCase: boolean): boolean {
  const seen = new Set<string>();
  for (const alt of alts) {
    const first = alt[0];
    if (!first || first.kind !== 'literal' || first.quantified) return false;
    const key = ignoreCase ? first.src.toLowerCase() : first.src;
    if (seen.has(key)) return false;
    seen.add(key);
  }
  return true;
}

interface Ctx {
  flags: string;
  chars: readonly string[];
  stretches: WeakMap<Piece[], Piece[][]>;
}

/** The largest number of repeated pieces in one stretch, along one path, that can consume `c`. */
function maxOverlap(alts: Piece[][], c: string, ctx: Ctx): number {
  let best = 0;
  for (const seq of alts) {
    for (const stretch of stretchesOf(seq, ctx)) {
      let count = 0;
      for (const p of stretch) {
        if (p.repeats) count += canStartWith(p, c, ctx.flags) ? 1 : 0;
        else if (p.alts) count += maxOverlap(p.alts, c, ctx);
      }
      best = Math.max(best, count);
    }
  }
  return best;
}

/** A sequence cut at the mandatory characters that end the competition between repetitions. */
function stretchesOf(seq: Piece[], ctx: Ctx): Piece[][] {
  const cached = ctx.stretches.get(seq);
  if (cached) return cached;
  const out: Piece[][] = [[]];
  let competing: Piece[] = [];
  for (const p of seq) {
    if (endsStretch(p, competing, ctx)) {
      out.push([]);
      competing = [];
      continue;
    }
    if (p.repeats) competing.push(p);
    else if (p.alts) competing.push(...repeatedWithin(p.alts));
    (out[out.length - 1] as Piece[]).push(p);
  }
  ctx.stretches.set(seq, out);
  return out;
}

/** One mandatory character that none of the competing repetitions can consume. */
function endsStretch(p: Piece, competing: readonly Piece[], ctx: Ctx): boolean {
  if (p.quantified || (p.kind !== 'literal' && p.kind !== 'atom')) return false;
  // A repeated group can consume more than its first character: never treat it as bounded.
  if (competing.some((q) => q.kind === 'group')) return false;
  return ctx.chars.every(
    (ch) => !canStartWith(p, ch, ctx.flags) || competing.every((q) => !canStartWith(q, ch, ctx.flags)),
  );
}

function repeatedWithin(alts: Piece[][]): Piece[] {
  return alts.flatMap((alt) => alt.flatMap((p) => (p.repeats ? [p] : p.alts ? repeatedWithin(p.alts) : [])));
}

const prefixes = new WeakMap<Piece, RegExp | null>();

function canStartWith(p: Piece, c: string, flags: string): boolean {
  let re = prefixes.get(p);
  if (re === undefined) {
    try {
      re = new RegExp(`^(?:${p.src})`, flags);
    } catch {
      re = null;
    }
    prefixes.set(p, re);
  }
  return re === null || re.test(c); // null: cannot tell, assume the worst
}

/** A small reader of JavaScript regex syntax: just enough structure for the checks above. */
class PatternReader {
  private pos = 0;
  constructor(private readonly src: string) {}

  readAlternatives(): Piece[][] {
    const alts: Piece[][] = [[]];
    while (this.pos < this.src.length) {
      const ch = this.src[this.pos] as string;
      if (ch === ')') break;
      if (ch === '|') {
        this.pos++;
        alts.push([]);
        continue;
      }
      (alts[alts.length - 1] as Piece[]).push(this.readPiece());
    }
    return alts;
  }

  private readPiece(): Piece {
    const start = this.pos;
    const ch = this.src[this.pos] as string;
    let piece: Piece;
    if (ch === '(') piece = this.readGroup();
    else if (ch === '[') {
      this.readClass();
      piece = { src: this.src.slice(start, this.pos), kind: 'atom', repeats: false, quantified: false, quantifier: '' };
    } else if (ch === '\\') {
      const kind = this.readEscape();
      piece = { src: this.src.slice(start, this.pos), kind, repeats: false, quantified: false, quantifier: '' };
    } else if (ch === '^' || ch === '$') {
      this.pos++;
      piece = { src: ch, kind: 'assertion', repeats: false, quantified: false, quantifier: '' };
    } else {
      this.pos += ch.codePointAt(0)! > 0xffff ? 2 : 1;
      piece = {
        src: this.src.slice(start, this.pos),
        kind: ch === '.' ? 'atom' : 'literal',
        repeats: false,
        quantified: false,
        quantifier: '',
      };
    }
    this.readQuantifier(piece);
    return piece;
  }

  private readGroup(): Piece {
    const start = this.pos;
    this.pos++; // (
    if (
      this.src.startsWith('?=', this.pos) ||
      this.src.startsWith('?!', this.pos) ||
      this.src.startsWith('?<=', this.pos) ||
      this.src.startsWith('?<!', this.pos)
    ) {
      throw new Refused(
        "lookarounds ((?=…), (?!…), (?<=…), (?<!…)) are not supported (Alertmanager's RE2 has none either)",
      );
    }
    if (this.src.startsWith('?:', this.pos)) this.pos += 2;
    else if (this.src.startsWith('?<', this.pos)) this.pos = this.src.indexOf('>', this.pos) + 1;
    const alts = this.readAlternatives();
    this.pos++; // )
    return {
      src: this.src.slice(start, this.pos),
      kind: 'group',
      repeats: false,
      quantified: false,
      quantifier: '',
      alts,
    };
  }

  private readClass(): void {
    this.pos++; // [
    while (this.pos < this.src.length && this.src[this.pos] !== ']') {
      this.pos += this.src[this.pos] === '\\' ? 2 : 1;
    }
    this.pos++; // ]
  }

  private readEscape(): 'literal' | 'atom' | 'assertion' {
    const next = this.src[this.pos + 1] ?? '';
    if (/[1-9]/.test(next) || (next === 'k' && this.src[this.pos + 2] === '<')) {
      throw new Refused("backreferences (\\1, \\k<name>) are not supported (Alertmanager's RE2 has none either)");
    }
    this.pos += 2;
    if (next === 'b' || next === 'B') return 'assertion';
    if ((next === 'p' || next === 'P' || next === 'u') && this.src[this.pos] === '{')
      this.pos = this.src.indexOf('}', this.pos) + 1;
    else if (next === 'u') this.pos += 4;
    else if (next === 'x') this.pos += 2;
    else if (next === 'c') this.pos += 1;
    // \d \w \s and friends are classes; any other escape (\. \- \/) is one literal character.
    return /[dDwWsSpP]/.test(next) ? 'atom' : 'literal';
  }

  private readQuantifier(piece: Piece): void {
    const rest = this.src.slice(this.pos);
    const m = /^(?:([*+?])|\{(\d+)(,(\d*))?\})\??/.exec(rest);
    if (!m) return;
    this.pos += m[0].length;
    piece.quantified = true;
    piece.quantifier = m[0];
    if (m[1] !== undefined) piece.repeats = m[1] !== '?';
    else {
      const max = m[3] === undefined ? Number(m[2]) : m[4] === '' ? Infinity : Number(m[4]);
      piece.repeats = max > 1;
    }
  }
}
