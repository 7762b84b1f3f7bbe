import type { PluginRegistry } from '../plugins/load-registry';
import { formatDuration } from './format';
import { html } from './html';
import { paramFields } from './param-form';
import { renderPage, type PageFrame } from './render-page';

/** `/actions`: every plugin with its params (name, type, default, description) and whether it changes the node. */
export function renderActionsPage(frame: Omit<PageFrame, 'title' | 'section'>, registry: PluginRegistry): string {
  const plugins = [...registry.plugins.values()].sort((a, b) => a.name.localeCompare(b.name));
  return renderPage(
    { ...frame, title: 'Actions', section: 'actions' },
    html`<h1>Actions</h1>
<p class="muted">Plugins in <code>${registry.dir}</code>. Rules run them; operators can re-run a job from its page.</p>
${plugins.length === 0 ? html`<div class="empty"><strong>No plugins found.</strong> Put executable plugin files with a metadata block into <code>${registry.dir}</code> (<code>RUNE_PLUGINS_DIR</code>; docs/plugins.md) and reload.</div>` : ''}
${plugins.map((p) => {
  const fields = paramFields(p.params);
  return html`<section class="card" id="${p.name}">
  <h2>${p.name} <span class="muted">${p.version}</span> ${p.mutating ? html`<span class="status status-failed">mutating</span>` : html`<span class="status status-succeeded">read-only</span>`}</h2>
  <p>${p.description}</p>
  <p class="muted">timeout ${p.timeoutMs === undefined ? 'defaults.timeout' : formatDuration(p.timeoutMs)} · ${p.become ? 'runs with sudo (become)' : 'runs as the login user'} · ${p.interpreter}</p>
  ${
    fields.length
      ? html`<table><thead><tr><th>Param</th><th>Type</th><th>Required</th><th>Default</th><th>Description</th></tr></thead><tbody>
    ${fields.map((f) => html`<tr><td><code>${f.name}</code></td><td>${f.type}${f.enum ? html`: ${f.enum.map((e) => JSON.stringify(e)).join(', ')}` : ''}</td><td>${f.required ? 'yes' : 'no'}</td><td>${f.default === undefined ? '—' : html`<code>${JSON.stringify(f.default)}</code>`}</td><td>${f.description}</td></tr>`)}
    </tbody></table>`
      : html`<p class="muted">No params.</p>`
  }
</section>`;
})}
${registry.problems.length ? html`<h2>Broken plugin files</h2><ul>${registry.problems.map((x) => html`<li class="error"><code>${x.file}</code>: ${x.reason}</li>`)}</ul>` : ''}`,
  );
}
