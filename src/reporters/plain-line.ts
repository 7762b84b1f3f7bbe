/** Cuts `text` to `max` characters, ending with `…` when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text); // by code point, so a cut never splits a surrogate pair
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

// C0/C1 controls and DEL (CR/LF included: one field must never become two lines or a forged
// header), plus the Unicode line/paragraph separators and bidi overrides that can reorder or split
// what a responder reads.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

/**
 * Text from outside RUNE (plugin summaries, error messages, remote response bodies) made fit for
 * one line of a note: controls become a space, runs of spaces collapse, the result is capped.
 */
export function plainLine(text: string, max: number): string {
  return truncate(text.replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim(), max);
}
