import { validateMetaschema } from './params-metaschema.generated';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { PLUGIN_NAME_PATTERN } from '../core/plugin-name';
import { parseDuration } from '../util/duration';
import type { PluginMeta } from './plugin-meta';

// semver.org's official regex (2.0.0), anchored.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** docs/plugins.md lists them, with the defaults of the optional ones. */
const REQUIRED_KEYS = ['name', 'version', 'description'] as const;
const OPTIONAL_KEYS = ['mutating', 'timeout', 'become', 'params'] as const;
const ALLOWED_KEYS = new Set<string>([...REQUIRED_KEYS, ...OPTIONAL_KEYS]);

/** The metadata block opens on line 2 (after the shebang); its YAML starts on line 3. */
const BLOCK_LINE = 2;

/** One thing wrong with a plugin file, on a line of that file when there is one. */
export interface PluginMetaProblem {
  line: number | null;
  reason: string;
}

export type ParseOutcome = { ok: true; plugin: PluginMeta } | { ok: false; problems: PluginMetaProblem[] };

/**
 * Reads the metadata block of a plugin file: comment lines between two `# ---` lines right
 * after the shebang (docs/plugins.md §1). `stem` is the file name without extension.
 * Every problem of the block is reported, each with the line of the file it is on.
 */
export function parsePluginMetadata(source: string, stem: string, path: string): ParseOutcome {
  const fail = (line: number | null, reason: string): ParseOutcome => ({ ok: false, problems: [{ line, reason }] });
  const lines = source.split('\n');
  const shebang = lines[0] ?? '';
  if (!shebang.startsWith('#!'))
    return fail(1, 'first line is not a shebang (#!/usr/bin/env bash, #!/usr/bin/env python3, ...)');
  if (lines[1]?.trim() !== '# ---') return fail(BLOCK_LINE, 'line 2 must open the metadata block with "# ---"');
  const body: string[] = [];
  let closed = false;
  for (let i = BLOCK_LINE; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    if (line.trim() === '# ---') {
      closed = true;
      break;
    }
    if (line !== '#' && !line.startsWith('# '))
      return fail(i + 1, `line ${i + 1} is inside the metadata block but does not start with "# "`);
    body.push(line.slice(2));
  }
  if (!closed) return fail(BLOCK_LINE, 'metadata block is not closed by a "# ---" line');

  const lineCounter = new LineCounter();
  const doc = parseDocument(body.join('\n'), { lineCounter, uniqueKeys: true, schema: 'core', prettyErrors: false });
  const fileLine = (offset: number | undefined) =>
    offset === undefined ? BLOCK_LINE : lineCounter.linePos(offset).line + BLOCK_LINE;
  const yamlError = doc.errors[0];
  if (yamlError)
    return fail(fileLine(yamlError.pos[0]), `metadata is not valid YAML: ${yamlError.message.split('\n')[0]}`);
  const meta: unknown = doc.toJS();
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta) || !isMap(doc.contents))
    return fail(BLOCK_LINE + 1, 'metadata must be a YAML mapping (key: value lines)');
  const m = meta as Record<string, unknown>;
  const keyLines = new Map<string, number>();
  for (const { key } of doc.contents.items)
    if (isScalar(key) && typeof key.value === 'string') keyLines.set(key.value, fileLine(key.range?.[0]));
  const problems: PluginMetaProblem[] = [];
  const at = (key: string, reason: string) => problems.push({ line: keyLines.get(key) ?? BLOCK_LINE, reason });

  for (const key of Object.keys(m).filter((k) => !ALLOWED_KEYS.has(k)))
    at(key, `unknown metadata key "${key}" (allowed: ${[...ALLOWED_KEYS].join(', ')})`);
  for (const key of REQUIRED_KEYS.filter((k) => m[k] === undefined)) at(key, `${key} is missing (required)`);

  if (m.name !== undefined) {
    if (typeof m.name !== 'string' || !PLUGIN_NAME_PATTERN.test(m.name))
      at('name', `name ${JSON.stringify(m.name)} must match ${PLUGIN_NAME_PATTERN}`);
    else if (m.name !== stem) at('name', `name "${m.name}" must equal the file stem "${stem}"`);
  }
  if (m.version !== undefined && (typeof m.version !== 'string' || !SEMVER.test(m.version)))
    at('version', `version ${JSON.stringify(m.version)} is not semver (e.g. 1.0.0)`);
  if (m.description !== undefined && (typeof m.description !== 'string' || m.description.trim() === ''))
    at('description', 'description must be a non-empty string');
  for (const key of ['mutating', 'become'] as const)
    if (m[key] !== undefined && typeof m[key] !== 'boolean') at(key, `${key} must be true or false`);
  let timeoutMs: number | undefined;
  if (m.timeout !== undefined) {
    timeoutMs = typeof m.timeout === 'string' ? parseDuration(m.timeout) : undefined;
    if (timeoutMs === undefined || timeoutMs <= 0)
      at('timeout', `timeout ${JSON.stringify(m.timeout)} is not a duration like 30s or 5m`);
  }
  const params = m.params ?? { type: 'object', additionalProperties: false, properties: {} };
  const objectSchema =
    params !== null &&
    typeof params === 'object' &&
    !Array.isArray(params) &&
    (params as Record<string, unknown>).type === 'object';
  if (!objectSchema) at('params', 'params must be a JSON Schema with type: object');
  // Checked against the JSON Schema meta-schema, compiled ahead of time: listing plugins never loads
  // ajv (the validator itself is compiled on first use, load-registry.ts).
  else if (!validateMetaschema(params)) {
    const why = (validateMetaschema.errors ?? []).map((e) => `params${e.instancePath} ${e.message ?? 'is invalid'}`);
    at('params', `params schema does not compile: ${why.join(', ')}`);
  }
  if (problems.length > 0) return { ok: false, problems: problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) };
  return {
    ok: true,
    plugin: {
      name: m.name as string,
      version: m.version as string,
      description: (m.description as string).trim(),
      mutating: (m.mutating as boolean | undefined) ?? true, // unknown side effects are treated as changes
      timeoutMs,
      become: (m.become as boolean | undefined) ?? false,
      params: params as Record<string, unknown>,
      path,
      interpreter: shebang.slice(2).trim(),
    },
  };
}
