import { stringify as toYaml } from 'yaml';
import type { PluginMeta } from '../plugins/plugin-meta';
import type { Result } from '../core/types';
import { formatDuration } from '../util/duration';

export type OutputFormat = 'json' | 'yaml' | 'text';

const MARK: Record<string, string> = {
  succeeded: 'ok  ',
  skipped: 'skip',
  failed: 'FAIL',
  timed_out: 'TIME',
  cancelled: 'CANC',
  interrupted: 'INTR',
};

/** Text for humans: one line per node, then the error and the stderr tail when it failed. */
export function formatResultText(r: Result): string {
  const head = `${MARK[r.status] ?? r.status} ${r.node}  ${r.action}${r.action_version ? ` ${r.action_version}` : ''}  ${r.status}  ${formatDuration(r.duration_ms)}  ${r.summary}`;
  const lines = [head];
  if (r.error) {
    // The summary is often the error message itself: say it once.
    const message = r.error.message === r.summary ? '' : `: ${r.error.message}`;
    lines.push(
      `     error ${r.error.code} (stage ${r.error.stage}${r.error.retryable ? ', retryable' : ''})${message}`,
    );
  }
  if (r.truncated) lines.push('     output was larger than the cap and was truncated');
  if (r.dry_run && r.data.plan)
    lines.push(indent(JSON.stringify((r.data.plan as { payload: unknown }).payload, null, 2), 5));
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

export function formatActionsText(plugins: PluginMeta[]): string {
  if (plugins.length === 0) return 'no plugins found\n';
  const rows = plugins.map((p) => {
    const props = ((p.params as { properties?: Record<string, { type?: unknown; default?: unknown }> }).properties ??
      {}) as Record<string, { type?: unknown; default?: unknown }>;
    const params = Object.entries(props).map(
      ([k, s]) =>
        `${k}${s.type ? `:${String(s.type)}` : ''}${s.default !== undefined ? `=${JSON.stringify(s.default)}` : ''}`,
    );
    return { p, params: params.join(' ') || '-' };
  });
  const w = Math.max(...plugins.map((p) => p.name.length));
  const vw = Math.max(...plugins.map((p) => p.version.length));
  return (
    rows
      .map(({ p, params }) =>
        [
          `${p.name.padEnd(w)}  ${p.version.padEnd(vw)}  ${p.mutating ? 'mutating ' : 'read-only'}  ${p.description}`,
          `${' '.repeat(w + vw + 15)}params: ${params}`,
        ].join('\n'),
      )
      .join('\n') + '\n'
  );
}

function indent(text: string, n: number): string {
  return text.replace(/^/gm, ' '.repeat(n));
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
