import { isMap, isSeq, type Document } from 'yaml';

/** Where YAML nodes are, for messages in the compiler style `file:line: path: message`. */

export type LineOf = (offset: number | undefined) => number | null;

/** One JSON Pointer segment (ajv's instancePath) as a key or an index. */
export function decodePointer(s: string): string | number {
  const t = s.replace(/~1/g, '/').replace(/~0/g, '~');
  return /^\d+$/.test(t) ? Number(t) : t;
}

/** `['rules', 0, 'steps', 1]` → `rules[0].steps[1]`. */
export function toDotted(segments: readonly (string | number)[]): string {
  return (
    segments.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '') ||
    '(top level)'
  );
}

/** Line of the deepest YAML node that exists along `segments`. */
export function lineAt(doc: Document, segments: readonly (string | number)[], lineOf: LineOf): number | null {
  let node: unknown = doc.contents;
  let line = lineOf((doc.contents as { range?: [number] } | null)?.range?.[0]);
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === seg);
      if (!pair) break;
      line = lineOf((pair.key as { range?: [number] }).range?.[0]) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      line = lineOf((node as { range?: [number] } | undefined)?.range?.[0]) ?? line;
    } else break;
  }
  return line;
}

/** Line of every mapping key and sequence item, by dotted path (`rules[0].steps[1].action`). */
export function collectLines(doc: Document, lineOf: LineOf): Map<string, number> {
  const lines = new Map<string, number>();
  const walk = (node: unknown, segments: (string | number)[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = (pair.key as { value?: unknown } | null)?.value;
        if (typeof key !== 'string' && typeof key !== 'number') continue;
        const here = [...segments, String(key)];
        const line = lineOf((pair.key as { range?: [number] }).range?.[0]);
        if (line !== null) lines.set(toDotted(here), line);
        walk(pair.value, here);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const line = lineOf((item as { range?: [number] } | null)?.range?.[0]);
        if (line !== null) lines.set(toDotted([...segments, i]), line);
        walk(item, [...segments, i]);
      });
    }
  };
  walk(doc.contents, []);
  return lines;
}

/** Problems in reading order: by line, those without a line last; equal lines keep their order. */
export function byLine<T extends { line: number | null }>(problems: readonly T[]): T[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? Infinity) - (b.p.line ?? Infinity) || a.i - b.i)
    .map((x) => x.p);
}
