import { stringify as toYaml } from 'yaml';
import { formatDuration } from '../util/duration';
import { askServer, type ServerFlags, type ServerIo } from './ask-server';
import { formatTable } from './format-table';

// The safety switches of a running `rune serve` (docs/safety.md): pause, resume, breaker close, guards.

interface PauseView {
  since: string;
  by: string;
  reason: string;
}

interface BreakerView {
  rule: string;
  state: string;
  failures: number;
  opened_at: string | null;
  probe_after: string | null;
  last_failure: string | null;
}

interface GuardsView {
  paused: PauseView | null;
  breakers: BreakerView[];
  counters: { suppressed: Record<string, number>; breaker_opened: Record<string, number> };
}

function pauseLine(p: PauseView | null): string {
  return p
    ? `automatic runs are PAUSED since ${p.since} by ${p.by}${p.reason ? ` (${p.reason})` : ''}\n`
    : 'automatic runs are not paused\n';
}

async function post(
  o: ServerFlags,
  path: string,
  body: Record<string, unknown> | undefined,
  io: ServerIo,
  show: (b: Record<string, unknown>) => string,
  doFetch?: typeof fetch,
): Promise<number> {
  const a = await askServer(o, 'POST', path, body, io, doFetch);
  if (!a.ok) return a.exit;
  io.stdout(show(a.body));
  return 0;
}

/** `rune pause [--reason]`: every automatic run stops until `rune resume`. */
export function pauseCommand(o: ServerFlags & { reason?: string }, io: ServerIo, doFetch?: typeof fetch) {
  const body = o.reason !== undefined ? { reason: o.reason } : {};
  return post(o, '/api/v1/pause', body, io, (b) => pauseLine(b.paused as PauseView | null), doFetch);
}

export function resumeCommand(o: ServerFlags, io: ServerIo, doFetch?: typeof fetch) {
  const show = (b: Record<string, unknown>) =>
    b.was_paused ? 'automatic runs resumed\n' : 'automatic runs were not paused\n';
  return post(o, '/api/v1/resume', undefined, io, show, doFetch);
}

export function breakerCloseCommand(rule: string, o: ServerFlags, io: ServerIo, doFetch?: typeof fetch) {
  const path = `/api/v1/breakers/${encodeURIComponent(rule)}/close`;
  return post(o, path, undefined, io, (b) => `breaker of rule ${rule} closed (was ${String(b.was)})\n`, doFetch);
}

/** `2024-05-01T10:00:00.000Z (12m ago)`, `… (in 3m)`: when, and how far from `now`. */
function when(iso: string | null, now: number): string {
  if (iso === null) return '-';
  const ms = Date.parse(iso) - now;
  const far = formatDuration(Math.round(Math.abs(ms) / 1000) * 1000);
  return `${iso} (${ms >= 0 ? `in ${far}` : `${far} ago`})`;
}

const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** `rune guards` as text: the pause, a table of breakers, the suppression counts since the server started. */
export function formatGuardsText(g: GuardsView, now: number): string {
  const out = [pauseLine(g.paused)];
  if (g.breakers.length === 0) out.push('every circuit breaker is closed (no rule has failed runs on record)\n');
  else {
    const rows = g.breakers.map((b) => [
      b.rule,
      b.state,
      String(b.failures),
      when(b.opened_at, now),
      when(b.probe_after, now),
      b.last_failure ?? '-',
    ]);
    out.push(formatTable(rows, ['RULE', 'BREAKER', 'FAILURES', 'OPENED', 'PROBE', 'LAST FAILURE']));
  }
  const suppressed = counts(g.counters.suppressed);
  const opened = counts(g.counters.breaker_opened);
  out.push(`runs suppressed since the server started: ${suppressed || 'none'}\n`);
  out.push(`breakers opened since the server started: ${opened || 'none'}\n`);
  return out.join('');
}

/** `rune guards`: pause state, circuit breakers and counts of suppressed runs; text, json or yaml. */
export async function guardsCommand(
  o: ServerFlags & { output: 'text' | 'json' | 'yaml' },
  io: ServerIo,
  doFetch?: typeof fetch,
  now: () => number = Date.now,
): Promise<number> {
  const a = await askServer(o, 'GET', '/api/v1/guards', undefined, io, doFetch);
  if (!a.ok) return a.exit;
  if (o.output === 'json') io.stdout(`${JSON.stringify(a.body, null, 2)}\n`);
  else if (o.output === 'yaml') io.stdout(toYaml(a.body));
  else io.stdout(formatGuardsText(a.body as unknown as GuardsView, now()));
  return 0;
}
