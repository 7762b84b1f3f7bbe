import Ajv, { type ErrorObject } from 'ajv';
import { LineCounter, parseDocument, visit, type Document } from 'yaml';
import { checkConfigSemantics } from './check-config-semantics';
import { CONFIG_SCHEMA, INLINE_SECRET_HINTS } from './config-schema';
import {
  BUILTIN_DEFAULTS,
  type ConfigCheck,
  type ConfigProblem,
  type ConfigSpec,
  type Parsed,
  type ParsedConfig,
  type RuneConfig,
} from './config-types';
import { pruneInvalid } from './prune-invalid';
import { byLine, collectLines, decodePointer, lineAt, toDotted, type LineOf } from './yaml-positions';

// Kept here for the callers that read rule tests files with the same positions (src/rules/read-rule-tests.ts).
export { decodePointer, lineAt, toDotted };

const ajv = new Ajv({ allErrors: true, strict: false });
const validateSchema = ajv.compile<ConfigSpec>(CONFIG_SCHEMA);

export interface ConfigOutcome {
  /** The config, when the file has no error at all (warnings allowed). */
  value?: RuneConfig;
  /** What parsed (every part the schema accepted), for checks that go further. */
  parsed: ParsedConfig;
  warnings: ConfigProblem[];
  /** Every problem found, in line order: YAML, schema, semantics and the `checks` given. */
  errors: ConfigProblem[];
}

/**
 * Pure: YAML text → schema → semantic checks → config. `file` only labels the problems. The checks
 * after the schema run on the parts that parsed, and so do `checks` (e.g. against the plugin registry,
 * src/rules/check-rules-against-registry.ts): a problem in one rule hides none in another.
 */
export function validateConfig(text: string, file: string, checks: readonly ConfigCheck[] = []): ConfigOutcome {
  const lineCounter = new LineCounter();
  // uniqueKeys: duplicate keys are errors; the core schema has no !!js/* tags; maxAliasCount bounds alias bombs.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, schema: 'core', prettyErrors: false });
  const lineOf: LineOf = (offset) => (offset === undefined ? null : lineCounter.linePos(offset).line);
  const nothing: ParsedConfig = { source: file, defaults: {}, nodes: [], notify: {}, rules: [], lines: new Map() };
  const failed = (errors: ConfigProblem[]): ConfigOutcome => ({ parsed: nothing, warnings: [], errors });

  const yamlErrors: ConfigProblem[] = [];
  for (const e of doc.errors)
    yamlErrors.push({ file, line: lineOf(e.pos[0]), path: '', message: e.message.split('\n')[0] as string });
  // Unknown tags (e.g. !!js/function) only warn in the yaml package; here they are errors.
  for (const w of doc.warnings)
    yamlErrors.push({ file, line: lineOf(w.pos[0]), path: '', message: w.message.split('\n')[0] as string });
  if (yamlErrors.length > 0) return failed(yamlErrors);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    const message = `${(err as Error).message} (anchors and *aliases expand to too much data)`;
    return failed([{ file, line: firstAliasLine(doc, lineOf), path: '', message }]);
  }

  const errors: ConfigProblem[] = [];
  const schemaErrors = validateSchema(data) ? [] : (validateSchema.errors ?? []);
  for (const e of schemaErrors) errors.push(schemaProblem(e, doc, file, lineOf));
  const lines = collectLines(doc, lineOf);
  const pruned = pruneInvalid(data, schemaErrors);
  const spec = (pruned.value ?? {}) as Parsed<ConfigSpec>;
  const parsed: ParsedConfig = {
    source: file,
    defaults: spec.defaults ?? {},
    nodes: spec.nodes ?? [],
    notify: spec.notify ?? {},
    rules: spec.rules ?? [],
    lines,
  };
  errors.push(...checkConfigSemantics(parsed, pruned.damaged));
  for (const check of checks) errors.push(...check(parsed));
  if (errors.length > 0) return { parsed, warnings: [], errors: byLine(errors) };

  // No error: `data` is exactly what the schema accepted.
  const valid = data as ConfigSpec;
  const value: RuneConfig = {
    source: file,
    defaults: { ...BUILTIN_DEFAULTS, ...(valid.defaults ?? {}) },
    nodes: valid.nodes ?? [],
    notify: valid.notify ?? {},
    rules: valid.rules ?? [],
    lines,
  };
  return { value, parsed, warnings: [], errors: [] };
}

/** One ajv error as a problem: the path, its line, and ajv's message with what it leaves out. */
function schemaProblem(e: ErrorObject, doc: Document, file: string, lineOf: LineOf): ConfigProblem {
  const segments = e.instancePath.split('/').slice(1).map(decodePointer);
  const path = toDotted(segments);
  // An unknown key is reported on its own line, not on the line of the object holding it.
  const lineSegments =
    e.keyword === 'additionalProperties' ? [...segments, String(e.params.additionalProperty)] : segments;
  return {
    file,
    line: lineAt(doc, lineSegments, lineOf),
    path,
    message: `${e.message ?? 'invalid'}${explainSchemaError(e.keyword, e.params as Record<string, unknown>, path)}`,
  };
}

/** Words added to ajv's message: the unknown key, the allowed values, the way to pass a secret. */
function explainSchemaError(keyword: string, params: Record<string, unknown>, path: string): string {
  if (keyword === 'additionalProperties') {
    const key = String(params.additionalProperty);
    const hint = INLINE_SECRET_HINTS[path];
    const secret = hint !== undefined && /token|secret|password|key|url|auth/i.test(key);
    return ` (unknown key "${key}")${secret ? `; ${hint}` : ''}`;
  }
  if (keyword === 'enum' && Array.isArray(params.allowedValues))
    return ` (${params.allowedValues.map(String).join(', ')})`;
  return '';
}

/** The yaml package names no position when aliases expand too much (an alias bomb): the first alias. */
function firstAliasLine(doc: Document, lineOf: LineOf): number | null {
  const first: { line: number | null } = { line: null };
  visit(doc, {
    Alias(_key, node) {
      first.line = lineOf(node.range?.[0]);
      return visit.BREAK;
    },
  });
  return first.line;
}
