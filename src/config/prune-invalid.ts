import type { ErrorObject } from 'ajv';

/**
 * The parts of a document that the schema accepted, so that the checks after the schema (matchers,
 * templates, the plugins) still run on them and one `rune rules check` reports every problem.
 * A value the schema refused is taken out: a key is dropped, an array item becomes undefined (so
 * every other item keeps its index, hence its path and line). An unknown key is dropped too. A
 * missing required key stays missing: the checks read every key as optional (Parsed<T>).
 */
export interface Pruned {
  value: unknown;
  /** The objects and arrays of `value` that lost a part: checks of a whole object skip them. */
  damaged: ReadonlySet<object>;
}

export function pruneInvalid(data: unknown, errors: readonly ErrorObject[]): Pruned {
  const refused = new Set<string>();
  const unknownKeys = new Map<string, Set<string>>();
  for (const e of errors) {
    if (e.keyword === 'required') continue;
    if (e.keyword === 'additionalProperties') {
      const keys = unknownKeys.get(e.instancePath) ?? new Set<string>();
      keys.add(String(e.params.additionalProperty));
      unknownKeys.set(e.instancePath, keys);
    } else refused.add(e.instancePath);
  }
  const damaged = new Set<object>();
  const walk = (value: unknown, pointer: string): unknown => {
    if (refused.has(pointer)) return undefined;
    if (Array.isArray(value)) {
      const items = value.map((item: unknown, i) => walk(item, `${pointer}/${i}`));
      if (items.some((item, i) => item === undefined && value[i] !== undefined)) damaged.add(items);
      return items;
    }
    if (value === null || typeof value !== 'object') return value;
    const dropped = unknownKeys.get(pointer);
    const entries: [string, unknown][] = [];
    let lost = false;
    for (const [key, child] of Object.entries(value)) {
      const kept = dropped?.has(key)
        ? undefined
        : walk(child, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      if (kept === undefined) lost = true;
      else entries.push([key, kept]);
    }
    // fromEntries defines own properties: a `__proto__` key stays data, never a prototype.
    const out = Object.fromEntries(entries);
    if (lost) damaged.add(out);
    return out;
  };
  return { value: walk(data, ''), damaged };
}
