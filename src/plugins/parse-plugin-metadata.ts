import Ajv from 'ajv';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../util/duration';
import { PLUGIN_NAME_PATTERN } from '../core/plugin-name';
import type { PluginMeta } from './plugin-meta';

// semver.org's official regex (2.0.0), anchored.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

const ALLOWED_KEYS = new Set(['name', 'version', 'description', 'mutating', 'timeout', 'become', 'params']);

export type ParseOutcome = { ok: true; plugin: PluginMeta } | { ok: false; reason: string };

/**
 * Reads the metadata block of a plugin file: comment lines between two `# ---` lines right
 * after the shebang (docs/architecture.md, Plugins). `stem` is the file name without extension.
 */
export function parsePluginMetadata(source: string, stem: string, path: string, ajv: Ajv): ParseOutcome {
  const lines = source.split('\n');
  const shebang = lines[0] ?? '';
  if (!shebang.startsWith('#!'))
    return { ok: false, reason: 'first line is not a shebang (#!/usr/bin/env bash, #!/usr/bin/env python3, ...)' };
  if (lines[1]?.trim() !== '# ---') return { ok: false, reason: 'line 2 must open the metadata block with "# ---"' };
  const body: string[] = [];
  let closed = false;
  for (let i = 2; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    if (line.trim() === '# ---') {
      closed = true;
      break;
    }
    if (line !== '#' && !line.startsWith('# ')) {
      return { ok: false, reason: `line ${i + 1} is inside the metadata block but does not start with "# "` };
    }
    body.push(line.slice(2));
  }
  if (!closed) return { ok: false, reason: 'metadata block is not closed by a "# ---" line' };

  let meta: unknown;
  try {
    meta = parseYaml(body.join('\n'), { uniqueKeys: true, schema: 'core' });
  } catch (err) {
    return { ok: false, reason: `metadata is not valid YAML: ${(err as Error).message.split('\n')[0]}` };
  }
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta))
    return { ok: false, reason: 'metadata must be a YAML mapping' };
  const m = meta as Record<string, unknown>;
  const unknown = Object.keys(m).filter((k) => !ALLOWED_KEYS.has(k));
  if (unknown.length > 0) return { ok: false, reason: `unknown metadata key(s): ${unknown.join(', ')}` };

  if (typeof m.name !== 'string') return { ok: false, reason: 'name is missing' };
  if (!PLUGIN_NAME_PATTERN.test(m.name))
    return { ok: false, reason: `name "${m.name}" must match ${PLUGIN_NAME_PATTERN}` };
  if (m.name !== stem) return { ok: false, reason: `name "${m.name}" must equal the file stem "${stem}"` };
  if (typeof m.version !== 'string' || !SEMVER.test(m.version))
    return { ok: false, reason: `version ${JSON.stringify(m.version)} is not semver (e.g. 1.0.0)` };
  if (typeof m.description !== 'string' || m.description.trim() === '')
    return { ok: false, reason: 'description is missing' };
  if (m.mutating !== undefined && typeof m.mutating !== 'boolean')
    return { ok: false, reason: 'mutating must be true or false' };
  if (m.become !== undefined && typeof m.become !== 'boolean')
    return { ok: false, reason: 'become must be true or false' };
  let timeoutMs: number | undefined;
  if (m.timeout !== undefined) {
    timeoutMs = typeof m.timeout === 'string' ? parseDuration(m.timeout) : undefined;
    if (timeoutMs === undefined || timeoutMs <= 0)
      return { ok: false, reason: `timeout ${JSON.stringify(m.timeout)} is not a duration like 30s or 5m` };
  }
  const params = m.params ?? { type: 'object', additionalProperties: false, properties: {} };
  if (
    params === null ||
    typeof params !== 'object' ||
    Array.isArray(params) ||
    (params as Record<string, unknown>).type !== 'object'
  ) {
    return { ok: false, reason: 'params must be a JSON Schema with type: object' };
  }
  try {
    ajv.compile(params);
  } catch (err) {
    return { ok: false, reason: `params schema does not compile: ${(err as Error).message}` };
  }
  return {
    ok: true,
    plugin: {
      name: m.name,
      version: m.version,
      description: m.description.trim(),
      mutating: m.mutating ?? true, // unknown side effects are treated as changes
      timeoutMs,
      become: m.become ?? false,
      params: params as Record<string, unknown>,
      path,
      interpreter: shebang.slice(2).trim(),
    },
  };
}
