import Ajv from 'ajv';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { BUILTIN_DEFAULTS, type ConfigProblem, type Defaults, type NodeSpec, type RuneConfig } from './config-types';
import { CONFIG_SCHEMA } from './config-schema';

const ajv = new Ajv({ allErrors: true, strict: false });
const validateSchema = ajv.compile(CONFIG_SCHEMA);

export interface ConfigOutcome {
  value: RuneConfig | null;
  warnings: ConfigProblem[];
  errors: ConfigProblem[];
}

/**
 * Pure: YAML text → schema check → semantic checks → config (CONVENTIONS.md, config pipeline).
 * `file` only labels the problems.
 */
export function validateConfig(text: string, file: string): ConfigOutcome {
  const lineCounter = new LineCounter();
  // uniqueKeys: duplicate keys are errors; the core schema has no !!js/* tags; maxAliasCount bounds alias bombs.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, schema: 'core', prettyErrors: false });
  const errors: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const lineOf = (offset: number | undefined) => (offset === undefined ? null : lineCounter.linePos(offset).line);

  for (const e of doc.errors) errors.push({ file, line: lineOf(e.pos[0]), path: '', message: e.message.split('\n')[0] as string });
  // Unknown tags (e.g. !!js/function) only warn in the yaml package; here they are errors.
  for (const w of doc.warnings) errors.push({ file, line: lineOf(w.pos[0]), path: '', message: w.message.split('\n')[0] as string });
  if (errors.length > 0) return { value: null, warnings, errors };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    return { value: null, warnings, errors: [{ file, line: null, path: '', message: (err as Error).message }] };
  }
  if (!validateSchema(data)) {
    for (const e of validateSchema.errors ?? []) {
      const segments = e.instancePath.split('/').slice(1).map(decodePointer);
      const extra = e.keyword === 'additionalProperties' ? ` (unknown key "${String(e.params.additionalProperty)}")` : '';
      // An unknown key is reported on its own line, not on the line of the object holding it.
      const lineSegments = e.keyword === 'additionalProperties' ? [...segments, String(e.params.additionalProperty)] : segments;
      errors.push({ file, line: lineAt(doc, lineSegments, lineOf), path: toDotted(segments), message: `${e.message ?? 'invalid'}${extra}` });
    }
    return { value: null, warnings, errors };
  }
  const raw = data as { defaults?: Partial<Defaults>; nodes?: NodeSpec[]; notify?: Record<string, unknown>; rules?: Record<string, unknown>[] };
  const nodes = raw.nodes ?? [];
  const seen = new Map<string, number>();
  nodes.forEach((n, i) => {
    const first = seen.get(n.name);
    if (first !== undefined) {
      errors.push({ file, line: lineAt(doc, ['nodes', i, 'name'], lineOf), path: `nodes[${i}].name`, message: `duplicate node "${n.name}" (first at nodes[${first}])` });
    } else seen.set(n.name, i);
    if (/[*?]/.test(n.name) && n.address !== undefined) {
      errors.push({ file, line: lineAt(doc, ['nodes', i, 'address'], lineOf), path: `nodes[${i}].address`, message: 'a glob node cannot have one fixed address; the matched name is the address' });
    }
  });
  if (errors.length > 0) return { value: null, warnings, errors };
  return {
    value: {
      source: file,
      defaults: { ...BUILTIN_DEFAULTS, ...(raw.defaults ?? {}) },
      nodes,
      notify: raw.notify ?? {},
      rules: raw.rules ?? [],
    },
    warnings,
    errors,
  };
}

function decodePointer(s: string): string | number {
  const t = s.replace(/~1/g, '/').replace(/~0/g, '~');
  return /^\d+$/.test(t) ? Number(t) : t;
}

function toDotted(segments: (string | number)[]): string {
  return segments.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '') || '(top level)';
}

/** Line of the deepest YAML node that exists along `segments`. */
function lineAt(doc: Document, segments: (string | number)[], lineOf: (o: number | undefined) => number | null): number | null {
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
