import type { RuleSpec } from '../config/config-types';
import type { BreakerState } from '../core/guard-state';
import type { RuleGuards } from '../guards/types';
import type { Job } from '../core/job';
import { formatDuration, jobPath, statusBadge, timeTag } from './format';
import { html } from './html';
import { renderPage, type PageFrame } from './render-page';

/** One rule as the rules page shows it: the rule, its resolved guards, its breaker, its latest jobs. */
export interface RuleView {
  rule: RuleSpec;
  guards: RuleGuards | undefined;
  breaker: BreakerState | null;
  recent: Job[];
}

function describeGuards(g: RuleGuards | undefined): string[] {
  if (!g) return ['(not resolved)'];
  return [
    `cooldown: ${g.cooldownMs === null ? 'none' : `${formatDuration(g.cooldownMs)} per node`}`,
    `budget: ${g.budget ? `${g.budget.maxRuns} runs per ${formatDuration(g.budget.perMs)}` : 'none'}`,
    `blast radius: ${g.blastRadius ? g.blastRadius.describe : 'none'}`,
    `breaker: opens after ${g.breaker.failures} failed runs in a row, probe after ${formatDuration(g.breaker.probeAfterMs)}`,
  ];
}

/** `/rules`: each rule's matchers, steps, guard settings and state, and its last matches. */
export function renderRulesPage(
  frame: Omit<PageFrame, 'title' | 'section'>,
  o: { source: string; rules: RuleView[] },
): string {
  return renderPage(
    { ...frame, title: 'Rules', section: 'rules' },
    html`<h1>Rules</h1>
<p class="muted">From <code>${o.source}</code>${frame.pause ? html` · <strong>automatic runs are paused</strong>` : ''}.</p>
${o.rules.length === 0 ? html`<div class="empty"><strong>No rules yet.</strong> Add rules to <code>${o.source}</code> (docs/rules.md), then reload (<code>POST /-/reload</code> or SIGHUP). Until then alerts are recorded but run nothing.</div>` : ''}
${o.rules.map(
  ({ rule, guards, breaker, recent }) => html`<section class="card" id="rule-${rule.name}">
  <h2>${rule.name} ${breaker && breaker.state !== 'closed' ? html`<span class="status status-failed">breaker ${breaker.state}</span>` : ''}</h2>
  ${rule.description ? html`<p>${rule.description}</p>` : ''}
  <dl class="facts">
    <dt>Matchers</dt><dd>${rule.matchers.map((m) => html`<code>${m}</code><br>`)}</dd>
    <dt>On</dt><dd>${rule.on ?? 'firing'}</dd>
    <dt>Node</dt><dd><code>${rule.node ?? '{{ labels.instance | hostname }}'}</code></dd>
    <dt>Steps</dt><dd><ol>${rule.steps.map((s) => html`<li><a href="/actions#${s.action}">${s.action}</a>${s.params && Object.keys(s.params).length ? html` <code>${JSON.stringify(s.params)}</code>` : ''}${s.continue_on_error ? ' (continue on error)' : ''}</li>`)}</ol></dd>
    <dt>Notify</dt><dd>${rule.notify?.length ? rule.notify.join(', ') : 'nobody'}</dd>
    <dt>Guards</dt><dd>${describeGuards(guards).map((l) => html`${l}<br>`)}</dd>
    <dt>Breaker</dt><dd>${
      breaker
        ? html`${breaker.state}, ${breaker.failures} failure(s) in a row${breaker.openedAt !== null ? html`, opened ${timeTag(new Date(breaker.openedAt).toISOString())}` : ''}${breaker.lastFailure ? html`<br><span class="muted">last failure: ${breaker.lastFailure}</span>` : ''}`
        : 'closed, no failures recorded'
    }</dd>
  </dl>
  <h3>Last matches</h3>
  ${
    recent.length
      ? html`<table><tbody>${recent.map((j) => html`<tr><td><a href="${jobPath(j.id)}"><code>${j.id}</code></a></td><td>${statusBadge(j.status)}</td><td>${j.request.action} on ${j.request.node}</td><td>${timeTag(j.createdAt)}</td><td>${j.result?.summary ?? j.reason ?? ''}</td></tr>`)}</tbody></table>
  <p><a href="/?rule=${encodeURIComponent(rule.name)}">All jobs of this rule →</a></p>`
      : html`<p class="muted">No matches yet.</p>`
  }
</section>`,
)}`,
  );
}
