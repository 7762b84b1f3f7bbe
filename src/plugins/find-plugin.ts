import { RuneError } from '../core/errors';
import type { PluginProblem, PluginRegistry } from './load-registry';
import type { PluginMeta } from './plugin-meta';

/** `file:line: reason`, the way compilers (and `rune rules check`) print a problem. */
export function formatPluginProblem(p: PluginProblem): string {
  return `${p.file}${p.line === null ? '' : `:${p.line}`}: ${p.reason}`;
}

/** The problems of the file meant to be plugin `name` (empty when there is no such file). */
export function brokenPlugin(registry: Pick<PluginRegistry, 'problems'>, name: string): PluginProblem[] {
  return registry.problems.filter((p) => p.name === name);
}

/**
 * The plugin called `name`, or the error a run of it answers: PLUGIN_BROKEN when a file of that
 * name exists but does not load (with each of its problems as file:line), UNKNOWN_ACTION when none does.
 */
export function findPlugin(registry: Pick<PluginRegistry, 'dir' | 'plugins' | 'problems'>, name: string): PluginMeta {
  const plugin = registry.plugins.get(name);
  if (plugin) return plugin;
  const broken = brokenPlugin(registry, name);
  if (broken.length > 0) {
    throw new RuneError(
      'PLUGIN_BROKEN',
      `action "${name}" cannot be loaded: ${broken.map(formatPluginProblem).join('; ')}`,
      { action: name, problems: broken },
    );
  }
  const known = [...registry.plugins.keys()].sort();
  throw new RuneError(
    'UNKNOWN_ACTION',
    `unknown action "${name}" (available: ${known.join(', ') || 'none'}; plugins folder ${registry.dir})`,
    { action: name },
  );
}
