import type { Job } from '../core/job';
import { html } from './html';
import { describeTrigger, formatDuration, jobPath, statusBadge, timeTag } from './format';
import { renderPage, type PageFrame } from './render-page';

export const JOB_FILTERS = ['node', 'rule', 'status', 'incident'] as const;
export type JobFilterValues = Partial<Record<(typeof JOB_FILTERS)[number], string>>;

/** Refresh intervals offered (seconds); the page reloads itself with a meta refresh. */
export const REFRESH_SECONDS = 10;

function query(filters: JobFilterValues, extra: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `/?${s}` : '/';
}

/** The jobs page with no jobs at all: where jobs come from. */
const NO_JOBS = [
  html`<div class="empty"><strong>No jobs yet.</strong> Jobs appear here when an alert matches a rule `,
  html`(see <a href="/rules">Rules</a>) or someone runs an action by hand: `,
  html`<code>rune run &lt;action&gt; --node &lt;node&gt;</code> or <code>POST /api/v1/jobs</code>. `,
  html`The <a href="/actions">Actions</a> page lists what can run.</div>`,
];

/** The header row of the jobs table. */
const JOBS_HEAD = [
  html`<thead><tr><th>Job</th><th>Status</th><th>Action</th><th>Node</th><th>Trigger</th>`,
  html`<th>Incident</th><th>Created</th><th>Duration</th><th>Summary</th></tr></thead>`,
];

/** `/`: the jobs, newest first, with filters, a refresh toggle and paging. */
export function renderJobsPage(
  frame: Omit<PageFrame, 'title' | 'section' | 'refreshSeconds'>,
  o: {
    jobs: Job[];
    filters: JobFilterValues;
    statuses: readonly string[];
    refresh: boolean;
    error: string | null;
    olderBefore: string | null;
  },
): string {
  const filtered = JOB_FILTERS.some((k) => o.filters[k]);
  const [refreshHref, refreshText] = o.refresh
    ? [query(o.filters, {}), `Live refresh: on (every ${REFRESH_SECONDS} s) · turn off`]
    : [query(o.filters, { refresh: 'on' }), 'Live refresh: off · turn on'];
  const refreshLink = html`<a class="button secondary" href="${refreshHref}">${refreshText}</a>`;
  const statusOptions = o.statuses.map(
    (s) => html`<option${s === o.filters.status ? html` selected` : ''}>${s}</option>`,
  );
  const olderHref = o.olderBefore
    ? query(o.filters, { before: o.olderBefore, refresh: o.refresh ? 'on' : undefined })
    : null;
  const rows = o.jobs.map(
    (j) => html`<tr>
  <td><a href="${jobPath(j.id)}"><code>${j.id}</code></a></td>
  <td>${statusBadge(j.status)}</td>
  <td>${j.request.action}${j.request.dryRun ? html` <span class="muted">(dry run)</span>` : ''}</td>
  <td>${j.request.node}</td>
  <td>${describeTrigger(j)}</td>
  <td>${j.incident ? j.incident.id : ''}</td>
  <td>${timeTag(j.createdAt)}</td>
  <td>${formatDuration(j.result?.duration_ms)}</td>
  <td>${j.result?.summary ?? j.reason ?? ''}</td>
</tr>`,
  );
  const empty = filtered
    ? html`<div class="empty">No jobs match these filters. <a href="/">Clear the filters</a>.</div>`
    : NO_JOBS;
  return renderPage(
    { ...frame, title: 'Jobs', section: 'jobs', refreshSeconds: o.refresh ? REFRESH_SECONDS : null },
    html`<h1>Jobs</h1>
<form class="filters" method="get" action="/">
  <label>Node <input name="node" value="${o.filters.node ?? ''}"></label>
  <label>Rule <input name="rule" value="${o.filters.rule ?? ''}"></label>
  <label>Status <select name="status"><option value="">any</option>${statusOptions}</select></label>
  <label>Incident <input name="incident" value="${o.filters.incident ?? ''}"></label>
  ${o.refresh ? html`<input type="hidden" name="refresh" value="on">` : ''}
  <button type="submit">Filter</button> ${filtered ? html`<a href="/">Clear</a>` : ''}
</form>
<div class="actions-bar">${refreshLink}</div>
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
${o.jobs.length === 0 && !o.error ? empty : ''}
${
  o.jobs.length
    ? html`<table>
${JOBS_HEAD}
<tbody>${rows}</tbody>
</table>`
    : ''
}
${olderHref ? html`<p><a href="${olderHref}">Older jobs →</a></p>` : ''}`,
  );
}
