import { stringify as toYaml } from 'yaml';
import type { PluginMeta } from '../plugins/plugin-meta';
import type { Result } from '../core/types';
import { formatDuration } from '../util/duration';
import { formatTable } from './format-table';

export type OutputFormat = 'json' | 'yaml' | 'text';

const MARK: Record<string, string> = {
  succeeded: 'ok  ',
  skipped: 'skip',
  failed: 'FAIL',
  timed_out: 'TIME',
  cancelled: 'CANC',
  interrupted: 'INTR',
};

/** The plan a RUNE dry run records (src/mediator/execute-plan.ts): a plugin's own `data.plan` is not one. */
interface RunePlan {
  timeout_ms: number;
  mutating: boolean;
  become: boolean;
  payload: { contract: string };
}

function runePlanOf(r: Result): RunePlan | null {
  const plan = r.data.plan as Partial<RunePlan> | undefined;
  const payload = plan?.payload as { contract?: unknown } | undefined;
  return r.dry_run && r.exit_code === null && payload?.contract === 'rune.plugin/v1' ? (plan as RunePlan) : null;
}

/**
 * What a dry run did, in words (docs/cli.md, Dry runs). A RUNE dry run ran nothing: it shows the input
 * the plugin would get on a real run (so its `dry_run` is false). A plugin's dry run (--on-node) ran
 * the plugin with `dry_run: true`: it shows what the plugin says it would do (`data.would`).
 */
function dryRunLines(r: Result): string[] {
  const plan = runePlanOf(r);
  if (plan) {
    const how = [
      `timeout ${formatDuration(plan.timeout_ms)}`,
      plan.mutating ? 'mutating' : 'read-only',
      ...(plan.become ? ['as root'] : []),
    ];
    return [
      `     nothing ran (--dry-run). A real run (${how.join(', ')}) would give the plugin this input on stdin:`,
      indent(JSON.stringify(plan.payload, null, 2), 7),
    ];
  }
  if (!r.dry_run || r.exit_code === null) return [];
  const would = r.data.would;
  const lines = ['     the plugin ran with "dry_run": true and changed nothing'];
  if (Array.isArray(would) && would.length > 0) {
    lines[0] += '; it would:';
    for (const w of would) lines.push(`       ${typeof w === 'string' ? w : JSON.stringify(w)}`);
  }
  return lines;
}

/** Text for humans: one line per node, then the error and the stderr tail when it failed. */
export function formatResultText(r: Result): string {
  const version = r.action_version ? ` ${r.action_version}` : '';
  const head = [
    `${MARK[r.status] ?? r.status} ${r.node}`,
    `${r.action}${version}`,
    r.status,
    formatDuration(r.duration_ms),
    r.summary,
  ].join('  ');
  const lines = [head];
  if (r.error) {
    // The summary is often the error message itself: say it once.
    const message = r.error.message === r.summary ? '' : `: ${r.error.message}`;
    lines.push(
      `     error ${r.error.code} (stage ${r.error.stage}${r.error.retryable ? ', retryable' : ''})${message}`,
    );
  }
  if (r.truncated) lines.push('     output was larger than the cap and was truncated');
  lines.push(...dryRunLines(r));
  if (r.status !== 'succeeded' && r.status !== 'skipped') {
    if (r.stderr_tail.trim()) lines.push('     stderr (tail):', indent(lastLines(r.stderr_tail, 10), 7));
    if (r.error?.code === 'PLUGIN_BAD_OUTPUT' && r.stdout_tail.trim())
      lines.push('     stdout (tail):', indent(lastLines(r.stdout_tail, 10), 7));
  }
  lines.push(`     job ${r.job_id}  trace ${r.trace_id}`);
  return lines.join('\n');
}

/** `--output json` prints exactly the Result objects, one per line (JSON Lines). */
export function formatResults(results: Result[], format: OutputFormat): string {
  if (format === 'json') return results.map((r) => JSON.stringify(r)).join('\n') + '\n';
  if (format === 'yaml') return results.map((r) => toYaml(r)).join('---\n');
  return results.map(formatResultText).join('\n') + '\n';
}

/** `rune actions` as text: a table of the plugins, each with its params on the line below. */
export function formatActionsText(plugins: PluginMeta[]): string {
  if (plugins.length === 0) return 'no plugins found\n';
  const rows = plugins.map((p) => [
    p.name,
    p.version,
    p.mutating ? 'mutating' : 'read-only',
    p.timeoutMs === undefined ? '-' : formatDuration(p.timeoutMs),
    p.description,
  ]);
  const table = formatTable(rows, ['NAME', 'VERSION', 'KIND', 'TIMEOUT', 'DESCRIPTION']).split('\n');
  // The params go under the description: that column starts where the header's DESCRIPTION does.
  const at = ' '.repeat((table[0] as string).indexOf('DESCRIPTION'));
  const out = [table[0] as string];
  plugins.forEach((p, i) => out.push(table[i + 1] as string, `${at}params: ${paramsText(p)}`));
  return `${out.join('\n')}\n`;
}

function paramsText(p: PluginMeta): string {
  type Prop = { type?: unknown; default?: unknown };
  const props = ((p.params as { properties?: Record<string, Prop> }).properties ?? {}) as Record<string, Prop>;
  const params = Object.entries(props).map(
    ([k, s]) =>
      `${k}${s.type ? `:${String(s.type)}` : ''}${s.default !== undefined ? `=${JSON.stringify(s.default)}` : ''}`,
  );
  return params.join(' ') || '-';
}

function indent(text: string, n: number): string {
  return text.replace(/^/gm, ' '.repeat(n));
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
