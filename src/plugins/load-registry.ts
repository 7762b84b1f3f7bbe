import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve, extname, basename } from 'node:path';
import type Ajv from 'ajv';
import type { Options, ValidateFunction } from 'ajv';
import { RuneError } from '../core/errors';
import type { PluginMeta } from './plugin-meta';
import { parsePluginMetadata } from './parse-plugin-metadata';

/** Why a file in the plugins folder is not a plugin: `rune actions` lists these, `file:line: reason`. */
export interface PluginProblem {
  file: string;
  /** The file's stem: the action name it was meant to be (absent for a problem with the folder). */
  name?: string;
  /** Line of the file the problem is on, when it is on one. */
  line: number | null;
  reason: string;
}

export interface PluginRegistry {
  dir: string;
  plugins: Map<string, PluginMeta>;
  /** Broken files: reported, never hiding the healthy plugins. */
  problems: PluginProblem[];
  /** Validates (and fills defaults into) params for a plugin. */
  validator(name: string): ValidateFunction;
}

/**
 * Plugins travel base64-encoded inside the remote command line (Linux caps one argument at
 * 128 KiB, MAX_ARG_STRLEN), so their size is bounded well below that.
 */
export const MAX_PLUGIN_BYTES = 64 * 1024;

const IGNORED_EXTENSIONS = new Set(['.md', '.txt', '.json', '.yaml', '.yml']);

/**
 * Creates the ajv instance used for plugin params: defaults applied, all errors, no coercion. ajv is
 * loaded here, on the first validation, not when plugins are listed (`rune actions` stays fast).
 * `validateSchema: false`: discovery has already checked every params schema against the draft-07
 * meta-schema (parse-plugin-metadata.ts, compiled ahead of time); checking it again here would make
 * ajv compile that meta-schema at the first validation: 39 ms of 0.85 s of a `rune run` on 100 nodes,
 * 6 ms without (docs/benchmarks.md, Fan-out).
 */
export function createParamsAjv(): Ajv {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use only
  const { default: AjvClass } = require('ajv') as { default: new (o: Options) => Ajv };
  return new AjvClass({ allErrors: true, useDefaults: true, strict: false, validateSchema: false });
}

/** Discovers and validates every plugin file directly inside `dir`. */
export function loadRegistry(dir: string): PluginRegistry {
  const absDir = resolve(dir);
  let ajv: Ajv | undefined;
  const plugins = new Map<string, PluginMeta>();
  const problems: PluginProblem[] = [];
  const validators = new Map<string, ValidateFunction>();

  let entries: string[];
  try {
    entries = readdirSync(absDir).sort();
  } catch (err) {
    problems.push({
      file: absDir,
      line: null,
      reason: `cannot read plugins folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    });
    entries = [];
  }
  for (const entry of entries) {
    if (entry.startsWith('.') || IGNORED_EXTENSIONS.has(extname(entry))) continue;
    const path = join(absDir, entry);
    const name = basename(entry, extname(entry));
    let source: string;
    try {
      const st = statSync(path);
      if (!st.isFile()) continue;
      if (st.size > MAX_PLUGIN_BYTES) {
        problems.push({
          file: path,
          name,
          line: null,
          reason: `too large: ${st.size} bytes (at most ${MAX_PLUGIN_BYTES}; plugins travel inside the remote command)`,
        });
        continue;
      }
      source = readFileSync(path, 'utf8');
    } catch (err) {
      problems.push({ file: path, name, line: null, reason: `cannot read: ${(err as Error).message}` });
      continue;
    }
    const outcome = parsePluginMetadata(source, name, path);
    if (!outcome.ok) {
      problems.push(...outcome.problems.map((p) => ({ file: path, name, ...p })));
      continue;
    }
    const existing = plugins.get(outcome.plugin.name);
    if (existing) {
      problems.push({
        file: path,
        name,
        line: null,
        reason: `duplicate plugin name "${outcome.plugin.name}" (also ${existing.path}); keeping the first`,
      });
      continue;
    }
    plugins.set(outcome.plugin.name, outcome.plugin);
  }
  return {
    dir: absDir,
    plugins,
    problems,
    validator(name) {
      let v = validators.get(name);
      if (!v) {
        const plugin = plugins.get(name);
        if (!plugin) throw new Error(`no plugin ${name}`);
        ajv ??= createParamsAjv();
        try {
          v = ajv.compile(plugin.params);
        } catch (err) {
          // Valid against the meta-schema, yet not compilable (an unresolvable $ref): the plugin is broken.
          const why = (err as Error).message;
          throw new RuneError('PLUGIN_BROKEN', `${plugin.path}: params schema does not compile: ${why}`, {
            action: name,
          });
        }
        validators.set(name, v);
      }
      return v;
    },
  };
}
