import type { RuleSpec, StepSpec } from '../config/config-types';
import type { BreakerState } from '../core/guard-state';
import type { RuleGuards } from '../guards/types';
import type { Job } from '../core/job';
import type { RuleStats } from '../app/rule-stats';
import { formatDuration, jobPath, statusBadge, timeTag } from './format';
import { html, type HtmlPart, type SafeHtml } from './html';
import { renderPage, type PageFrame } from './render-page';

/** One rule as the rules page shows it: the rule, its resolved guards, its breaker, its latest jobs. */
export interface RuleView {
  rule: RuleSpec;
  guards: RuleGuards | undefined;
  breaker: BreakerState | null;
  recent: Job[];
  /** Effectiveness over the last 30 days (GET /api/v1/rules/stats); null when not computed. */
  stats?: RuleStats | null;
}

/** Runs and outcomes, and for rules with verify: how often the run fixed the alert and how fast. */
function describeStats(s: RuleStats): string {
  const runs = `${s.runs} run(s): ${s.succeeded} succeeded, ${s.failed} failed, ${s.not_run} not run`;
  const pending = s.in_progress ? `, ${s.in_progress} in progress` : '';
  const decided = s.verified + s.not_fixed;
  const fixed =
    s.fixed_rate === null
      ? s.verifying
        ? `; ${s.verifying} being verified`
        : ''
      : `; fixed ${Math.round(s.fixed_rate * 100)}% (${s.verified} of ${decided} verified)` +
        (s.median_resolve_seconds === null
          ? ''
          : `, median time to resolve ${formatDuration(s.median_resolve_seconds * 1000)}`);
  return `${runs}${pending}${fixed}`;
}

function describeGuards(g: RuleGuards | undefined): string[] {
  if (!g) return ['(not resolved)'];
  return [
    `cooldown: ${g.cooldownMs === null ? 'none' : `${formatDuration(g.cooldownMs)} per node`}`,
    `budget: ${g.budget ? `${g.budget.maxRuns} runs per ${formatDuration(g.budget.perMs)}` : 'none'}`,
    `blast radius: ${g.blastRadius ? g.blastRadius.describe : 'none'}`,
    `breaker: opens after ${g.breaker.failures} failed runs in a row, ` +
      `probe after ${formatDuration(g.breaker.probeAfterMs)}`,
  ];
}

function describeBreaker(b: BreakerState | null): HtmlPart {
  if (!b) return 'closed, no failures recorded';
  const opened = b.openedAt !== null ? html`, opened ${timeTag(new Date(b.openedAt).toISOString())}` : '';
  const last = b.lastFailure ? html`<br><span class="muted">last failure: ${b.lastFailure}</span>` : '';
  return html`${b.state}, ${b.failures} failure(s) in a row${opened}${last}`;
}

function stepItem(s: StepSpec): SafeHtml {
  const params = s.params && Object.keys(s.params).length ? html` <code>${JSON.stringify(s.params)}</code>` : '';
  const onError = s.continue_on_error ? ' (continue on error)' : '';
  return html`<li><a href="/actions#${s.action}">${s.action}</a>${params}${onError}</li>`;
}

function recentRow(j: Job): SafeHtml {
  const cells = [
    html`<a href="${jobPath(j.id)}"><code>${j.id}</code></a>`,
    statusBadge(j.status),
    `${j.request.action} on ${j.request.node}`,
    timeTag(j.createdAt),
    j.result?.summary ?? j.reason ?? '',
  ];
  return html`<tr>${cells.map((c) => html`<td>${c}</td>`)}</tr>`;
}

/** One rule's card: matchers, steps, guard settings and state, and its last matches. */
function ruleCard({ rule, guards, breaker, recent, stats }: RuleView): SafeHtml {
  const breakerBadge =
    breaker && breaker.state !== 'closed'
      ? html`<span class="status status-failed">breaker ${breaker.state}</span>`
      : '';
  return html`<section class="card" id="rule-${rule.name}">
  <h2>${rule.name} ${breakerBadge}</h2>
  ${rule.description ? html`<p>${rule.description}</p>` : ''}
  <dl class="facts">
    <dt>Matchers</dt><dd>${rule.matchers.map((m) => html`<code>${m}</code><br>`)}</dd>
    <dt>On</dt><dd>${rule.on ?? 'firing'}</dd>
    <dt>Node</dt><dd><code>${rule.node ?? '{{ labels.instance | hostname }}'}</code></dd>
    <dt>Steps</dt><dd><ol>${rule.steps.map(stepItem)}</ol></dd>
    <dt>Notify</dt><dd>${rule.notify?.length ? rule.notify.join(', ') : 'nobody'}</dd>
    <dt>Guards</dt><dd>${describeGuards(guards).map((l) => html`${l}<br>`)}</dd>
    <dt>Breaker</dt><dd>${describeBreaker(breaker)}</dd>
    ${stats ? html`<dt>Last 30 days</dt><dd>${describeStats(stats)}</dd>` : ''}
  </dl>
  <h3>Last matches</h3>
  ${
    recent.length
      ? html`<table><tbody>${recent.map(recentRow)}</tbody></table>
  <p><a href="/?rule=${encodeURIComponent(rule.name)}">All jobs of this rule →</a></p>`
      : html`<p class="muted">No matches yet.</p>`
  }
</section>`;
}

/** `/rules`: each rule's matchers, steps, guard settings and state, and its last matches. */
export function renderRulesPage(
  frame: Omit<PageFrame, 'title' | 'section'>,
  o: { source: string; rules: RuleView[] },
): string {
  const paused = frame.pause ? html` · <strong>automatic runs are paused</strong>` : '';
  const noRules = [
    html`<div class="empty"><strong>No rules yet.</strong> Add rules to <code>${o.source}</code> (docs/rules.md), `,
    html`then reload (<code>POST /-/reload</code> or SIGHUP). Until then alerts are recorded but run nothing.</div>`,
  ];
  return renderPage(
    { ...frame, title: 'Rules', section: 'rules' },
    html`<h1>Rules</h1>
<p class="muted">From <code>${o.source}</code>${paused}.</p>
${o.rules.length === 0 ? noRules : ''}
${o.rules.map(ruleCard)}`,
  );
}
