import Ajv from 'ajv';
import { isMap, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { compileParams } from './compile-params';
import { parseMatcher } from './parse-matcher';
import { parseTemplate } from './parse-template';
import {
  BUILTIN_DEFAULTS,
  type ConfigProblem,
  type Defaults,
  type GuardsSpec,
  type NodeSpec,
  type NotifyConfig,
  type RuleSpec,
  type RuneConfig,
} from './config-types';
import { CONFIG_SCHEMA, INLINE_SECRET_HINTS } from './config-schema';

const ajv = new Ajv({ allErrors: true, strict: false });
const validateSchema = ajv.compile(CONFIG_SCHEMA);

export interface ConfigOutcome {
  value: RuneConfig | null;
  warnings: ConfigProblem[];
  errors: ConfigProblem[];
}

/**
 * Pure: YAML text → schema check → semantic checks → config (docs/architecture.md, config pipeline).
 * `file` only labels the problems.
 */
export function validateConfig(text: string, file: string): ConfigOutcome {
  const lineCounter = new LineCounter();
  // uniqueKeys: duplicate keys are errors; the core schema has no !!js/* tags; maxAliasCount bounds alias bombs.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, schema: 'core', prettyErrors: false });
  const errors: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const lineOf = (offset: number | undefined) => (offset === undefined ? null : lineCounter.linePos(offset).line);

  for (const e of doc.errors)
    errors.push({ file, line: lineOf(e.pos[0]), path: '', message: e.message.split('\n')[0] as string });
  // Unknown tags (e.g. !!js/function) only warn in the yaml package; here they are errors.
  for (const w of doc.warnings)
    errors.push({ file, line: lineOf(w.pos[0]), path: '', message: w.message.split('\n')[0] as string });
  if (errors.length > 0) return { value: null, warnings, errors };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    // The yaml package names no position when aliases expand too much (an alias bomb): point at the first alias.
    const first: { line: number | null } = { line: null };
    visit(doc, {
      Alias(_key, node) {
        first.line = lineOf(node.range?.[0]);
        return visit.BREAK;
      },
    });
    return {
      value: null,
      warnings,
      errors: [
        {
          file,
          line: first.line,
          path: '',
          message: `${(err as Error).message} (anchors and *aliases expand to too much data)`,
        },
      ],
    };
  }
  if (!validateSchema(data)) {
    for (const e of validateSchema.errors ?? []) {
      const segments = e.instancePath.split('/').slice(1).map(decodePointer);
      const extra = explainSchemaError(e.keyword, e.params as Record<string, unknown>, toDotted(segments));
      // An unknown key is reported on its own line, not on the line of the object holding it.
      const lineSegments =
        e.keyword === 'additionalProperties' ? [...segments, String(e.params.additionalProperty)] : segments;
      errors.push({
        file,
        line: lineAt(doc, lineSegments, lineOf),
        path: toDotted(segments),
        message: `${e.message ?? 'invalid'}${extra}`,
      });
    }
    return { value: null, warnings, errors };
  }
  const raw = data as { defaults?: Partial<Defaults>; nodes?: NodeSpec[]; notify?: NotifyConfig; rules?: RuleSpec[] };
  const nodes = raw.nodes ?? [];
  const seen = new Map<string, number>();
  nodes.forEach((n, i) => {
    const first = seen.get(n.name);
    if (first !== undefined) {
      errors.push({
        file,
        line: lineAt(doc, ['nodes', i, 'name'], lineOf),
        path: `nodes[${i}].name`,
        message: `duplicate node "${n.name}" (first at nodes[${first}])`,
      });
    } else seen.set(n.name, i);
    if (/[*?]/.test(n.name) && n.address !== undefined) {
      errors.push({
        file,
        line: lineAt(doc, ['nodes', i, 'address'], lineOf),
        path: `nodes[${i}].address`,
        message: 'a glob node cannot have one fixed address; the matched name is the address',
      });
    }
  });
  const lines = collectLines(doc, lineOf);
  const at = (path: string): ConfigProblem['line'] => lines.get(path) ?? null;
  const rules = raw.rules ?? [];
  const notify = raw.notify ?? {};
  for (const check of [checkDuplicateRules, checkMatchers, checkTemplates, checkNotifiers]) {
    for (const p of check(rules, notify)) errors.push({ file, line: at(p.path), ...p });
  }
  for (const p of checkNodeTemplates(nodes)) errors.push({ file, line: at(p.path), ...p });
  for (const p of checkBlastRadius(rules, raw.defaults?.guards)) errors.push({ file, line: at(p.path), ...p });
  if (errors.length > 0) return { value: null, warnings, errors };
  return {
    value: {
      source: file,
      defaults: { ...BUILTIN_DEFAULTS, ...(raw.defaults ?? {}) },
      nodes,
      notify,
      rules,
      lines,
    },
    warnings,
    errors,
  };
}

/** A semantic problem before file and line are added. */
type Finding = { path: string; message: string };

function checkDuplicateRules(rules: readonly RuleSpec[]): Finding[] {
  const seen = new Map<string, number>();
  const found: Finding[] = [];
  rules.forEach((r, i) => {
    const first = seen.get(r.name);
    if (first !== undefined)
      found.push({ path: `rules[${i}].name`, message: `duplicate rule "${r.name}" (first at rules[${first}])` });
    else seen.set(r.name, i);
  });
  return found;
}

function checkMatchers(rules: readonly RuleSpec[]): Finding[] {
  return rules.flatMap((r, i) =>
    r.matchers.flatMap((text, j): Finding[] => {
      const parsed = parseMatcher(text);
      return parsed.ok
        ? []
        : [
            {
              path: `rules[${i}].matchers[${j}]`,
              message: `invalid matcher ${JSON.stringify(text)}: column ${parsed.column}: ${parsed.reason}`,
            },
          ];
    }),
  );
}

/** Templates in `node` and in every params string parse (unknown names and filters are found here). */
function checkTemplates(rules: readonly RuleSpec[]): Finding[] {
  const found: Finding[] = [];
  rules.forEach((r, i) => {
    if (r.node !== undefined) {
      const parsed = parseTemplate(r.node);
      if (!parsed.ok)
        found.push({
          path: `rules[${i}].node`,
          message: `invalid template: column ${parsed.column}: ${parsed.reason}`,
        });
    }
    r.steps.forEach((step, j) => {
      for (const e of compileParams(step.params ?? {}).errors) {
        found.push({
          path: toDotted(['rules', i, 'steps', j, 'params', ...e.path]),
          message: `invalid template: column ${e.column}: ${e.reason}`,
        });
      }
    });
  });
  return found;
}

/** A templated `instance_id` (rendered from the alert at plan time) must parse now, not at 3 a.m. */
function checkNodeTemplates(nodes: readonly NodeSpec[]): Finding[] {
  return nodes.flatMap((n, i): Finding[] => {
    if (n.instance_id === undefined || !n.instance_id.includes('{{')) return [];
    const parsed = parseTemplate(n.instance_id);
    return parsed.ok
      ? []
      : [{ path: `nodes[${i}].instance_id`, message: `invalid template: column ${parsed.column}: ${parsed.reason}` }];
  });
}

function checkNotifiers(rules: readonly RuleSpec[], notify: NotifyConfig): Finding[] {
  const configured = Object.keys(notify);
  return rules.flatMap((r, i) =>
    (r.notify ?? []).flatMap((name, k): Finding[] =>
      notify[name] !== undefined
        ? []
        : [
            {
              path: `rules[${i}].notify[${k}]`,
              message: `notifier "${name}" is not configured under notify: (${configured.length ? `configured: ${configured.join(', ')}` : 'none configured'})`,
            },
          ],
    ),
  );
}

/** blast_radius names exactly one limit: max_nodes or max_percent (docs/safety.md). */
function checkBlastRadius(rules: readonly RuleSpec[], defaults: GuardsSpec | undefined): Finding[] {
  const where: [string, GuardsSpec | undefined][] = [
    ['defaults.guards', defaults],
    ...rules.map((r, i): [string, GuardsSpec] => [`rules[${i}]`, r]),
  ];
  return where.flatMap(([path, g]): Finding[] => {
    const b = g?.blast_radius;
    if (b === undefined || (b.max_nodes === undefined) !== (b.max_percent === undefined)) return [];
    return [
      {
        path: `${path}.blast_radius`,
        message: 'blast_radius needs exactly one of max_nodes or max_percent (with per)',
      },
    ];
  });
}

/** Words added to ajv's message: the unknown key, the allowed values, the way to pass a secret. */
function explainSchemaError(keyword: string, params: Record<string, unknown>, path: string): string {
  if (keyword === 'additionalProperties') {
    const key = String(params.additionalProperty);
    const hint = INLINE_SECRET_HINTS[path];
    return ` (unknown key "${key}")${hint !== undefined && /token|secret|password|key|url|auth/i.test(key) ? `; ${hint}` : ''}`;
  }
  if (keyword === 'enum' && Array.isArray(params.allowedValues))
    return ` (${params.allowedValues.map(String).join(', ')})`;
  return '';
}

/** Line of every mapping key and sequence item, by dotted path; kept in RuneConfig for later checks. */
function collectLines(doc: Document, lineOf: (o: number | undefined) => number | null): Map<string, number> {
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

export function decodePointer(s: string): string | number {
  const t = s.replace(/~1/g, '/').replace(/~0/g, '~');
  return /^\d+$/.test(t) ? Number(t) : t;
}

export function toDotted(segments: (string | number)[]): string {
  return (
    segments.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '') ||
    '(top level)'
  );
}

/** Line of the deepest YAML node that exists along `segments`. */
export function lineAt(
  doc: Document,
  segments: (string | number)[],
  lineOf: (o: number | undefined) => number | null,
): number | null {
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
