import type { JobStatus, Result } from '../core/types';
import { formatDuration } from '../util/duration';
import { plainLine, truncate } from './plain-line';

export interface RenderOptions {
  /** RUNE_PUBLIC_URL: where the job page lives (docs/architecture.md, settings). */
  publicUrl: string;
}

export const SUMMARY_MAX = 500;
const ERROR_MAX = 500;
const FIELD_MAX = 120;
/** Keep well under what a responder reads at a glance; PagerDuty documents no size limit (§3.1). */
export const NOTE_MAX = 2000;

const STATUS_WORDS: Record<JobStatus, string> = {
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  timed_out: 'timed out',
  cancelled: 'cancelled',
  skipped: 'skipped',
  interrupted: 'interrupted',
  outcome_unknown: 'outcome unknown',
};

/**
 * A Result as a short plain-text incident note:
 *
 *     RUNE restart-docker on web-1: succeeded in 12.3s — docker restarted; 14 containers running
 *     Job: https://rune.example/jobs/<job_id>
 *     Trace: <trace_id>
 *     Error: CODE message            (failed runs only)
 *
 * Every field from a plugin or a node goes through plainLine: one field stays on its line, so a
 * summary cannot forge a `Job:` link, a header or a second note.
 */
export function renderNote(result: Result, opts: RenderOptions): string {
  const action = plainLine(result.action, FIELD_MAX);
  const node = plainLine(result.node, FIELD_MAX);
  const dry = result.dry_run ? ' (dry run)' : '';
  const summary = plainLine(result.summary, SUMMARY_MAX);
  let head = `RUNE ${action} on ${node}${dry}: ${STATUS_WORDS[result.status] ?? plainLine(String(result.status), 20)}`;
  if (result.status !== 'skipped' && result.status !== 'queued') head += ` in ${formatDuration(result.duration_ms)}`;
  if (summary !== '') head += ` — ${summary}`;

  const lines = [
    head,
    `Job: ${jobUrl(result.job_id, opts.publicUrl)}`,
    `Trace: ${plainLine(result.trace_id, FIELD_MAX)}`,
  ];
  if (result.error !== null) {
    lines.push(`Error: ${plainLine(`${result.error.code} ${result.error.message}`, ERROR_MAX)}`);
  }
  return truncate(lines.join('\n'), NOTE_MAX);
}

/**
 * The note that answers a press of the incident action (docs/protocols.md §2.8) that ran nothing,
 * or not every matching rule:
 *
 *     RUNE did not run anything for the incident action pressed by <PagerDuty user>: <why>
 *
 * One line. The user's name comes from PagerDuty and `why` may quote labels, a pause reason or a
 * plugin's words: both go through plainLine, so a name like "Ann\nJob: https://evil/…" cannot
 * forge a line of its own.
 */
export function renderPressNote(pressedBy: string, why: string, o: { ranSome?: boolean } = {}): string {
  const head = o.ranSome ? 'RUNE did not run every matching rule' : 'RUNE did not run anything';
  return truncate(
    `${head} for the incident action pressed by ${plainLine(pressedBy, FIELD_MAX)}: ${plainLine(why, ERROR_MAX)}`,
    NOTE_MAX,
  );
}

/** `<publicUrl>/jobs/<id>`; the id is encoded, so it stays one path segment of RUNE's own page. */
export function jobUrl(jobId: string, publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/jobs/${encodeURIComponent(jobId)}`;
}

/**
 * Slack incoming-webhook body. Slack reads `&`, `<` and `>` as markup (`<!channel>`, `<url|text>`),
 * so they are escaped as Slack asks (api.slack.com/reference/surfaces/formatting#escaping);
 * plain `text` is enough for a notification.
 */
export function renderSlackMessage(result: Result, opts: RenderOptions): { text: string } {
  return { text: escapeSlack(renderNote(result, opts)) };
}

export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
