import type { Job } from '../core/job';
import { html, type SafeHtml } from './html';

/** A job status as a coloured badge. */
export function statusBadge(status: string): SafeHtml {
  return html`<span class="status status-${status.replace(/[^a-z_]/g, '')}">${status}</span>`;
}

/** 1234 → "1.2 s", 95000 → "1 min 35 s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** An ISO time shown as written, in a <time> element. */
export function timeTag(iso: string | null | undefined): SafeHtml {
  return iso ? html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>` : html``;
}

/** Who or what started a job, in a few words. */
export function describeTrigger(job: Job): string {
  const t = job.trigger;
  if (t.kind === 'alert') return `alert${t.rule ? ` → rule ${t.rule}` : ''}`;
  const by = t.actor ? ` by ${t.actor}` : '';
  return `${t.kind === 'api' ? 'manual' : t.kind}${by}${t.rule ? ` (re-run of rule ${t.rule})` : ''}`;
}

/** The dashboard path of a job (RUNE_PUBLIC_URL + this is what the notes link to). */
export function jobPath(id: string): string {
  return `/jobs/${encodeURIComponent(id)}`;
}
