import { html } from './html';
import { EXTRA_FIELD, type ParamField } from './param-form';
import { csrfField, renderPage, type PageFrame } from './render-page';
import { errorList, input } from './render-rerun-page';

/**
 * `/run`: start a run by hand (docs/dashboard.md): choose the action and the node, then fill in its
 * params, checked against the plugin's schema before anything starts (as `POST /api/v1/jobs`).
 */
export function renderRunPage(
  frame: Omit<PageFrame, 'title' | 'section'>,
  o: {
    actions: { name: string; description: string; mutating: boolean }[];
    nodes: string[];
    action: string;
    node: string;
    /** The chosen action's params, or null before an action is chosen. */
    fields: ParamField[] | null;
    values: Record<string, string>;
    errors: Record<string, string[]>;
    problem: string | null;
    paused: boolean;
    dryRun: boolean;
    reason: string;
  },
): string {
  const options = o.actions.map(
    (a) =>
      html`<option value="${a.name}"${a.name === o.action ? html` selected` : ''}>${a.name}${
        a.mutating ? ' (mutating)' : ''
      }</option>`,
  );
  const chosen = o.actions.find((a) => a.name === o.action);
  const mutating = chosen?.mutating ? html` <strong>${o.action} changes the node (mutating).</strong>` : '';
  const whilePaused = html`<p><label><input type="checkbox" name="while_paused" value="true">
    Run it although automatic runs are paused</label></p>`;
  const nodeList = html`<datalist id="inventory">${o.nodes.map((n) => html`<option value="${n}">`)}</datalist>`;
  const choose = html`<form class="card" method="get" action="/run">
  <div class="field"><label for="action">Action</label>
    <select id="action" name="action"><option value="">(choose)</option>${options}</select></div>
  <div class="field"><label for="node">Node</label>
    <input id="node" name="node" value="${o.node}" list="inventory" size="40"
      placeholder="an inventory name or address">${nodeList}</div>
  <div class="actions-bar"><button class="secondary" type="submit">Show its params</button></div>
</form>`;
  const fields = o.fields ?? [];
  const showExtra =
    fields.length === 0 || (o.values[EXTRA_FIELD] ?? '') !== '' || (o.errors[EXTRA_FIELD]?.length ?? 0) > 0;
  const start =
    o.fields === null || !chosen
      ? ''
      : html`<form class="rerun card" method="post" action="/run">
  ${csrfField(frame.csrf)}
  <input type="hidden" name="action" value="${o.action}">
  <input type="hidden" name="node" value="${o.node}">
  <h2>${o.action} on ${o.node || '(no node)'}</h2>
  <p>${chosen.description}${mutating}</p>
  ${fields.length ? '' : html`<p class="muted">${o.action} declares no params.</p>`}
  ${fields.map(
    (f) => html`<div class="field">
    <label for="p-${f.name}">${f.name} <span class="muted">${f.type}${f.required ? ', required' : ''}</span></label>
    ${input(f, o.values[f.name] ?? '')}
    ${f.description ? html`<div class="hint">${f.description}</div>` : ''}
    ${errorList(o.errors[f.name])}
  </div>`,
  )}
  ${
    showExtra
      ? html`<div class="field"><label for="p-extra">Other params (a JSON object)</label>
    <textarea id="p-extra" name="${EXTRA_FIELD}">${o.values[EXTRA_FIELD] ?? ''}</textarea>
    ${errorList(o.errors[EXTRA_FIELD])}</div>`
      : ''
  }
  <p class="hint">An empty field is not sent: the plugin's default applies.</p>
  <div class="field"><label for="reason">Why (for the audit log)</label>
    <input id="reason" name="reason" value="${o.reason}" maxlength="500" size="60"></div>
  <p><label><input type="checkbox" name="dry_run" value="true"${o.dryRun ? html` checked` : ''}>
    Dry run: plan only, no node contacted</label></p>
  ${o.paused ? whilePaused : ''}
  <div class="actions-bar"><button type="submit">Start the run</button></div>
</form>`;
  return renderPage(
    { ...frame, title: 'Start a run', section: 'run' },
    html`<h1>Start a run</h1>
<p class="muted">A manual run: recorded in the audit log under your name; the rule guards do not apply,
the pause and the node lock do (docs/safety.md).</p>
${o.problem ? html`<p class="error" role="alert">${o.problem}</p>` : ''}
${errorList(o.errors[''])}
${choose}
${start}`,
  );
}
