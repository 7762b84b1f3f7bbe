import type { Job } from '../core/job';
import type { Alert, Result } from '../core/types';
import type { RunSilence, Verification } from '../core/verification';
import { html, safeHref, type HtmlPart, type SafeHtml } from './html';
import { describeTrigger, formatDuration, jobPath, statusBadge, timeTag } from './format';
import { csrfField, renderPage, type PageFrame } from './render-page';

/** One line of a job's timeline. */
export interface TimelineEntry {
  at: string;
  text: string;
  /** false: something went wrong here (a failed delivery, a refusal). */
  ok: boolean;
  /** A job this entry refers to (the previous step). */
  link?: string;
}

const GUARD_REASONS = ['paused', 'breaker_open', 'cooldown', 'budget', 'blast_radius', 'node_busy'];

/**
 * What happened to a job, in order, from what the store records: creation, the guard decision
 * (admitted, or the reason it was skipped), start, end, and each note delivered with its outcome.
 */
export function jobTimeline(job: Job): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const t = job.trigger;
  const alertName = job.alert?.labels.alertname;
  out.push({
    at: job.createdAt,
    ok: true,
    text:
      t.kind === 'alert'
        ? `created from ${job.alert?.source ?? 'an'} alert${alertName ? ` ${alertName}` : ''}` +
          `${job.alert ? ` (fingerprint ${job.alert.fingerprint})` : ''}: rule ${t.rule ?? '?'}, step ${job.step + 1}`
        : `created by hand${t.actor ? ` by ${t.actor}` : ''}${t.rule ? ` (a re-run of a job of rule ${t.rule})` : ''}`,
  });
  if (job.after)
    out.push({
      at: job.createdAt,
      ok: true,
      text: `waits for the previous step${job.stopOnFailureOf ? ' (and is skipped if it fails)' : ''}`,
      link: job.after,
    });
  const reason = job.reason ?? '';
  const prefix = reason.split(':')[0] ?? '';
  if (job.status === 'skipped' && GUARD_REASONS.includes(prefix))
    out.push({ at: job.finishedAt ?? job.createdAt, ok: false, text: `refused by a guard: ${reason}` });
  else if (t.kind === 'alert' && t.rule)
    out.push({
      at: job.createdAt,
      ok: true,
      text: `guards of rule ${t.rule} admitted the run (pause, breaker, cooldown, budget, blast radius)`,
    });
  else
    out.push({
      at: job.createdAt,
      ok: true,
      text: 'manual run: the rule guards do not apply (docs/safety.md); the pause and the node lock do',
    });
  if (job.startedAt)
    out.push({
      at: job.startedAt,
      ok: true,
      text: `started on ${job.request.node}${job.result?.transport ? ` over ${job.result.transport}` : ''}`,
    });
  if (job.finishedAt) {
    const ok = job.status === 'succeeded';
    const how =
      job.status === 'skipped' && !GUARD_REASONS.includes(prefix)
        ? `skipped: ${reason}`
        : job.status === 'cancelled'
          ? `cancelled: ${reason}`
          : job.status;
    const summary = job.result?.summary && !how.includes(job.result.summary) ? ` (${job.result.summary})` : '';
    out.push({ at: job.finishedAt, ok: ok || job.status === 'skipped', text: `finished: ${how}${summary}` });
  }
  for (const d of job.deliveries) {
    const bits = [
      d.target ? `to ${d.target}` : '',
      d.status !== null ? `HTTP ${d.status}` : '',
      `${d.attempts} request${d.attempts === 1 ? '' : 's'}`,
    ]
      .filter(Boolean)
      .join(', ');
    out.push({
      at: d.at,
      ok: d.ok,
      text: `note via ${d.reporter} ${d.ok ? 'delivered' : 'NOT delivered'} (${bits})${d.error ? `: ${d.error}` : ''}`,
    });
  }
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

function pre(label: string, text: string | undefined): SafeHtml {
  return text ? html`<h3>${label}</h3><pre>${text}</pre>` : html`<h3>${label}</h3><p class="muted">(empty)</p>`;
}

function errorFacts(e: NonNullable<Result['error']>): SafeHtml {
  const retryable = e.retryable ? ', retryable' : '';
  return html`<dt>Error</dt><dd class="error"><code>${e.code}</code> (${e.stage}${retryable}): ${e.message}</dd>`;
}

function dataDetails(data: Result['data']): SafeHtml {
  return html`<details><summary>data</summary><pre>${JSON.stringify(data, null, 2)}</pre></details>`;
}

function incidentFact(j: Job, href: string | null): HtmlPart {
  if (!j.incident) return 'none';
  const name = `${j.incident.provider} ${j.incident.id}`;
  return href ? html`<a href="${href}" rel="noreferrer noopener">${name}</a>` : name;
}

function alertFacts(a: Alert): SafeHtml {
  const labels = Object.entries(a.labels).map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`);
  return html`<dt>Alert</dt><dd>${a.status} since ${a.startsAt}<table><tbody>${labels}</tbody></table></dd>`;
}

/** Whether the rule run fixed its alert: pending while RUNE watches, then verified or not_fixed. */
function verificationFacts(v: Verification, jobId: string): SafeHtml {
  const which =
    v.jobId === jobId ? '' : html` (of the rule run ending with <a href="${jobPath(v.jobId)}">${v.jobId}</a>)`;
  const verdict =
    v.status === 'pending'
      ? html`<dd>watching the alert until ${timeTag(v.deadline)}; this page refreshes itself</dd>`
      : html`<dd>${v.summary ?? ''}</dd>`;
  const query = v.query ? html`, query <code>${v.query}</code>` : '';
  return html`<h2>Verification</h2>
<dl class="facts">
  <dt>Status</dt><dd>${statusBadge(v.status)}${which}</dd>
  <dt>Verdict</dt>${verdict}
  <dt>Watched</dt><dd>from ${timeTag(v.startedAt)} to ${timeTag(v.deadline)}${query}</dd>
  ${v.resolvedAt ? html`<dt>Resolved</dt><dd>${timeTag(v.resolvedAt)}</dd>` : ''}
</dl>`;
}

/** The silence RUNE held for the rule run: active until when, expired when, or why it failed. */
function silenceFacts(s: RunSilence): SafeHtml {
  const held = s.during === 'run' ? 'the run goes on' : 'the run goes on or is verified';
  const state =
    s.status === 'active'
      ? html`active until ${timeTag(s.endsAt)} (extended while ${held}, never past ${timeTag(s.maxUntil)})`
      : s.status === 'expired'
        ? html`expired ${timeTag(s.expiredAt ?? s.endsAt)}`
        : html`not taken: ${s.error ?? ''}`;
  const id = s.silenceId ? html` <code>${s.silenceId}</code> in ${s.alertmanager ?? ''}` : '';
  return html`<h2>Silence</h2>
<dl class="facts">
  <dt>Status</dt><dd>${statusBadge(s.status)}${id}</dd>
  <dt>State</dt><dd>${state}</dd>
</dl>`;
}

function timelineItem(e: TimelineEntry): SafeHtml {
  const link = e.link ? html` <a href="${jobPath(e.link)}">${e.link}</a>` : '';
  return html`<li${e.ok ? '' : html` class="error"`}>${timeTag(e.at)} ${e.text}${link}</li>`;
}

/** `/jobs/:id`: Result, output, trigger, incident, timeline; Re-run and Cancel where the role allows. */
export function renderJobPage(
  frame: Omit<PageFrame, 'title' | 'section'>,
  o: {
    job: Job;
    canRerun: boolean;
    canCancel: boolean;
    canRelease?: boolean;
    cancelError?: string | null;
    /** The verification of the job's rule run (docs/rules.md, verify), if its rule has one. */
    verification?: Verification | null;
    /** The Alertmanager silence held while the rule run repaired (docs/rules.md, silence). */
    silence?: RunSilence | null;
  },
): string {
  const j = o.job;
  const v = o.verification ?? null;
  const r = j.result;
  const incidentHref = safeHref(j.incident?.url);
  const finished = !['queued', 'running'].includes(j.status);
  const cancelForm = () => [
    html`<form method="post" action="${jobPath(j.id)}/cancel">${csrfField(frame.csrf)}`,
    html`<input name="reason" placeholder="why (for the audit log)" maxlength="500"> `,
    html`<button class="danger" type="submit">Cancel job</button></form>`,
  ];
  const releaseForm = () => [
    html`<form method="post" action="${jobPath(j.id)}/release">${csrfField(frame.csrf)}`,
    html`<input name="reason" placeholder="what you checked on the node" maxlength="500"> `,
    html`<button class="danger" type="submit">Release the node</button></form>`,
  ];
  const holdText = j.lockUntil
    ? html`${j.request.node} stays held until ${timeTag(j.lockUntil)} or until released by someone who checked it.`
    : html`${j.request.node} is no longer held.`;
  const held =
    j.status === 'outcome_unknown'
      ? html`<p class="error" role="status">Outcome unknown: RUNE stopped while this ran. ${holdText}</p>`
      : '';
  const mutating = j.mutating ? ' (mutating)' : '';
  const waiting = j.status === 'queued' && j.after ? ' (waiting for the previous step)' : '';
  const ruleFacts = j.trigger.rule
    ? html`<dt>Rule</dt><dd><a href="/rules#rule-${j.trigger.rule}">${j.trigger.rule}</a>, step ${j.step + 1}</dd>`
    : '';
  const buttons = html`<div class="actions-bar">
  ${o.canRerun ? html`<a class="button" href="${jobPath(j.id)}/rerun">Re-run…</a>` : ''}
  ${o.canCancel ? cancelForm() : ''}
  ${o.canRelease ? releaseForm() : ''}
  ${!finished ? html`<a class="button secondary" href="${jobPath(j.id)}">Refresh</a>` : ''}
</div>
${o.cancelError ? html`<p class="error" role="alert">${o.cancelError}</p>` : ''}
${held}`;
  return renderPage(
    // Until it finishes the page reloads itself, so whoever pressed Re-run sees the result arrive.
    { ...frame, title: `Job ${j.id}`, section: 'jobs', refreshSeconds: finished && v?.status !== 'pending' ? null : 3 },
    html`<h1>${j.request.action} on ${j.request.node} ${statusBadge(j.status)}</h1>
<p class="muted">Job <code>${j.id}</code> · trace <code>${j.traceId}</code></p>
${buttons}
<h2>Result</h2>
${
  r
    ? html`<dl class="facts">
  <dt>Status</dt><dd>${statusBadge(r.status)}${r.dry_run ? ' (dry run)' : ''}</dd>
  <dt>Summary</dt><dd>${r.summary}</dd>
  <dt>Exit code</dt><dd>${r.exit_code ?? '—'}</dd>
  ${r.error ? errorFacts(r.error) : ''}
  <dt>Duration</dt><dd>${formatDuration(r.duration_ms)}</dd>
  <dt>Transport</dt><dd>${r.transport ?? '—'}</dd>
  <dt>Plugin</dt><dd>${r.action}${r.action_version ? ` ${r.action_version}` : ''}</dd>
</dl>
<h2>Output</h2>${r.truncated ? html`<p class="muted">Output was long: these are its last lines.</p>` : ''}
${pre('stdout (tail)', r.stdout_tail)}
${pre('stderr (tail)', r.stderr_tail)}
${Object.keys(r.data).length ? dataDetails(r.data) : ''}`
    : html`<div class="empty">No result yet: the job is ${j.status}${waiting}. This page refreshes itself.</div>`
}
${v ? verificationFacts(v, j.id) : ''}
${o.silence ? silenceFacts(o.silence) : ''}
<h2>Request and trigger</h2>
<dl class="facts">
  <dt>Action</dt><dd><a href="/actions#${j.request.action}">${j.request.action}</a>${mutating}</dd>
  <dt>Node</dt><dd>${j.request.node}</dd>
  <dt>Params</dt><dd><pre>${JSON.stringify(j.request.params, null, 2)}</pre></dd>
  <dt>Trigger</dt><dd>${describeTrigger(j)}</dd>
  ${ruleFacts}
  ${j.trigger.actor ? html`<dt>Actor</dt><dd>${j.trigger.actor}</dd>` : ''}
  <dt>Incident</dt><dd>${incidentFact(j, incidentHref)}</dd>
  ${j.alert ? alertFacts(j.alert) : ''}
</dl>
<h2>Timeline</h2>
<ol class="timeline">
${jobTimeline(j).map(timelineItem)}
</ol>`,
  );
}
