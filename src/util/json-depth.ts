/**
 * Deeper than any JSON RUNE reads (Alertmanager and PagerDuty bodies, params, nest under ten
 * levels). JSON.parse itself copes with 100,000 levels, but what reads the value afterwards
 * recurses (structuredClone of params, ajv, JSON.stringify into the store) and would overflow the
 * stack: a crash for what is bad input. So depth is refused before anything is built.
 */
export const MAX_JSON_DEPTH = 64;

/** True when JSON text nests arrays/objects deeper than `max`: one linear pass, no recursion. */
export function exceedsJsonDepth(text: string, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
