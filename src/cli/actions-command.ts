import { stringify as toYaml } from 'yaml';
import { loadRegistry } from '../plugins/load-registry';
import { readSettings } from '../settings/read-settings';
import type { CliIo } from './cli-io';
import { formatActionsText, type OutputFormat } from './format-result';

/** `rune actions`: every plugin with version, kind, timeout, description and params; broken ones on stderr. */
export function actionsCommand(o: { output: OutputFormat; plugins?: string }, io: CliIo): number {
  const settings = readSettings({ plugins: o.plugins }, io.env);
  const registry = loadRegistry(settings.pluginsDir);
  const list = [...registry.plugins.values()].sort((a, b) => a.name.localeCompare(b.name));
  const shown = list.map((p) => ({
    name: p.name,
    version: p.version,
    description: p.description,
    mutating: p.mutating,
    become: p.become,
    timeout_ms: p.timeoutMs ?? null,
    params: p.params,
    path: p.path,
  }));
  if (o.output === 'json') io.stdout(JSON.stringify({ actions: shown, problems: registry.problems }, null, 2) + '\n');
  else if (o.output === 'yaml') io.stdout(toYaml({ actions: shown, problems: registry.problems }));
  else io.stdout(formatActionsText(list));
  for (const p of registry.problems) io.stderr(`rune: broken plugin ${p.file}: ${p.reason}\n`);
  // A broken plugin is a configuration error worth a non-zero exit, but it hides nothing above.
  return registry.problems.length > 0 ? 2 : 0;
}
