import type { PluginRegistry } from '../plugins/load-registry';
import { formatDuration } from './format';
import { html, type SafeHtml } from './html';
import { paramFields, type ParamField } from './param-form';
import { renderPage, type PageFrame } from './render-page';

const MUTATING = html`<span class="status status-failed">mutating</span>`;
const READ_ONLY = html`<span class="status status-succeeded">read-only</span>`;
/** The header row of a plugin's params table. */
const PARAMS_HEAD = [
  html`<thead><tr><th>Param</th><th>Type</th><th>Required</th>`,
  html`<th>Default</th><th>Description</th></tr></thead>`,
];

/** One row of a plugin's params table. */
function paramRow(f: ParamField): SafeHtml {
  const type = html`${f.type}${f.enum ? html`: ${f.enum.map((e) => JSON.stringify(e)).join(', ')}` : ''}`;
  const dflt = f.default === undefined ? '—' : html`<code>${JSON.stringify(f.default)}</code>`;
  const cells = [html`<code>${f.name}</code>`, type, f.required ? 'yes' : 'no', dflt, f.description];
  return html`<tr>${cells.map((c) => html`<td>${c}</td>`)}</tr>`;
}

/** `/actions`: every plugin with its params (name, type, default, description) and whether it changes the node. */
export function renderActionsPage(frame: Omit<PageFrame, 'title' | 'section'>, registry: PluginRegistry): string {
  const plugins = [...registry.plugins.values()].sort((a, b) => a.name.localeCompare(b.name));
  const noPlugins = [
    html`<div class="empty"><strong>No plugins found.</strong> Put executable plugin files with a metadata block `,
    html`into <code>${registry.dir}</code> (<code>RUNE_PLUGINS_DIR</code>; docs/plugins.md) and reload.</div>`,
  ];
  const problems = registry.problems.map((x) => html`<li class="error"><code>${x.file}</code>: ${x.reason}</li>`);
  return renderPage(
    { ...frame, title: 'Actions', section: 'actions' },
    html`<h1>Actions</h1>
<p class="muted">Plugins in <code>${registry.dir}</code>. Rules run them; operators can re-run a job from its page.</p>
${plugins.length === 0 ? noPlugins : ''}
${plugins.map((p) => {
  const fields = paramFields(p.params);
  const timeout = p.timeoutMs === undefined ? 'defaults.timeout' : formatDuration(p.timeoutMs);
  const runsAs = p.become ? 'runs with sudo (become)' : 'runs as the login user';
  return html`<section class="card" id="${p.name}">
  <h2>${p.name} <span class="muted">${p.version}</span> ${p.mutating ? MUTATING : READ_ONLY}</h2>
  <p>${p.description}</p>
  <p class="muted">timeout ${timeout} · ${runsAs} · ${p.interpreter}</p>
  ${
    fields.length
      ? html`<table>${PARAMS_HEAD}<tbody>
    ${fields.map(paramRow)}
    </tbody></table>`
      : html`<p class="muted">No params.</p>`
  }
</section>`;
})}
${registry.problems.length ? html`<h2>Broken plugin files</h2><ul>${problems}</ul>` : ''}`,
  );
}
