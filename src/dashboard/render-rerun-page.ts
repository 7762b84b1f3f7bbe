import type { Job } from '../core/job';
import { html, type SafeHtml } from './html';
import { jobPath, statusBadge } from './format';
import { EXTRA_FIELD, type ParamField } from './param-form';
import { csrfField, renderPage, type PageFrame } from './render-page';

export function errorList(messages: string[] | undefined): SafeHtml {
  return messages?.length
    ? html`<ul class="errors" role="alert">${messages.map((m) => html`<li>${m}</li>`)}</ul>`
    : html``;
}

/** A `<select>`: first "not set" (an empty value), then `values`, the one equal to `value` selected. */
function select(id: string, name: string, unset: string, values: readonly unknown[], value: string): SafeHtml {
  const options = values.map((v) => html`<option${v === value ? html` selected` : ''}>${String(v)}</option>`);
  return html`<select id="${id}" name="${name}"><option value="">${unset}</option>${options}</select>`;
}

export function input(f: ParamField, value: string): SafeHtml {
  const id = `p-${f.name}`;
  const name = `p.${f.name}`;
  const placeholder = f.default === undefined ? '' : `default: ${JSON.stringify(f.default)}`;
  if (f.kind === 'boolean') {
    const unset = `(not set${f.default === undefined ? '' : `, default ${String(f.default)}`})`;
    return select(id, name, unset, ['true', 'false'], value);
  }
  if (f.kind === 'string' && f.enum?.every((e) => typeof e === 'string')) {
    return select(id, name, '(not set)', f.enum, value);
  }
  if (f.kind === 'json')
    return html`<textarea id="${id}" name="${name}" placeholder="${placeholder}">${value}</textarea>`;
  return html`<input id="${id}" name="${name}" value="${value}" placeholder="${placeholder}" size="60">`;
}

/** `/jobs/:id/rerun`: confirm a re-run, with the old params editable and any errors shown beside their field. */
export function renderRerunPage(
  frame: Omit<PageFrame, 'title' | 'section'>,
  o: {
    job: Job;
    fields: ParamField[];
    values: Record<string, string>;
    errors: Record<string, string[]>;
    problem: string | null;
    paused: boolean;
    whilePaused: boolean;
  },
): string {
  const j = o.job;
  const showExtra =
    o.fields.length === 0 || (o.values[EXTRA_FIELD] ?? '') !== '' || (o.errors[EXTRA_FIELD]?.length ?? 0) > 0;
  const incident = j.incident ? html`, reporting to incident ${j.incident.id}` : '';
  const dryRun = j.request.dryRun ? ' (as a dry run, like the original)' : '';
  const mutating = j.mutating ? html` <strong>${j.request.action} changes the node (mutating).</strong>` : '';
  const intro = [
    html`This starts a <strong>new job</strong> with the same action and node as job `,
    html`<a href="${jobPath(j.id)}"><code>${j.id}</code></a> (${statusBadge(j.status)})${incident}${dryRun}. `,
    html`It is recorded in the audit log under your name.${mutating}`,
  ];
  const extraField = () => [
    html`<div class="field"><label for="p-extra">Other params (a JSON object)</label>`,
    html`<textarea id="p-extra" name="${EXTRA_FIELD}">${o.values[EXTRA_FIELD] ?? ''}</textarea>`,
    html`${errorList(o.errors[EXTRA_FIELD])}</div>`,
  ];
  const whilePausedBox = () => [
    html`<p><label><input type="checkbox" name="while_paused" value="true"${o.whilePaused ? html` checked` : ''}> `,
    html`Run it although automatic runs are paused</label></p>`,
  ];
  const back = html`<a class="button secondary" href="${jobPath(j.id)}">Back</a>`;
  return renderPage(
    { ...frame, title: `Re-run ${j.id}`, section: 'jobs' },
    html`<h1>Re-run ${j.request.action} on ${j.request.node}?</h1>
<p>${intro}</p>
${o.problem ? html`<p class="error" role="alert">${o.problem}</p>` : ''}
${errorList(o.errors[''])}
<form class="rerun card" method="post" action="${jobPath(j.id)}/rerun">
  ${csrfField(frame.csrf)}
  <h2>Params</h2>
  ${o.fields.length ? '' : html`<p class="muted">${j.request.action} declares no params.</p>`}
  ${o.fields.map(
    (f) => html`<div class="field">
    <label for="p-${f.name}">${f.name} <span class="muted">${f.type}${f.required ? ', required' : ''}</span></label>
    ${input(f, o.values[f.name] ?? '')}
    ${f.description ? html`<div class="hint">${f.description}</div>` : ''}
    ${errorList(o.errors[f.name])}
  </div>`,
  )}
  ${showExtra ? extraField() : ''}
  <p class="hint">An empty field is not sent: the plugin's default applies.</p>
  ${o.paused ? whilePausedBox() : ''}
  <div class="actions-bar"><button type="submit">Re-run now</button> ${back}</div>
</form>`,
  );
}
