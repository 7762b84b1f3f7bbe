import { formatProblem } from '../config/read-config';
import { validateConfig } from '../config/validate-config';
import { loadRegistry } from '../plugins/load-registry';
import { checkRulesAgainstRegistry } from '../rules/check-rules-against-registry';
import { readSettings } from '../settings/read-settings';
import type { CliIo } from './cli-io';
import { readInputFile } from './read-input-file';

/** `rune rules check [file]`: every problem, schema and semantics, including actions and literal params. */
export function rulesCheckCommand(file: string | undefined, o: { plugins?: string }, io: CliIo): number {
  const settings = readSettings({ plugins: o.plugins }, io.env);
  const path = file ?? settings.configPath;
  const text = readInputFile(path, io);
  if (text === null) return 2;
  const registry = loadRegistry(settings.pluginsDir);
  // One pass: schema, semantics and the plugins (actions, params), for every part that parsed.
  const outcome = validateConfig(text, path, [(parsed) => checkRulesAgainstRegistry(parsed, registry)]);
  const errors = outcome.errors;
  for (const w of outcome.warnings) io.stderr(`warning: ${formatProblem(w)}\n`);
  for (const e of errors) io.stderr(`${formatProblem(e)}\n`);
  if (errors.length > 0) {
    io.stderr(`${errors.length} problem(s) in ${path}\n`);
    return 2;
  }
  const v = outcome.value;
  io.stdout(`${path}: ok (${v?.nodes.length ?? 0} nodes, ${v?.rules.length ?? 0} rules)\n`);
  return 0;
}
