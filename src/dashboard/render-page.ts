import type { Actor } from '../auth/actor';
import type { PauseState } from '../core/guard-state';
import { html, type HtmlPart, type SafeHtml } from './html';

/** What every dashboard page shows around its content. */
export interface PageFrame {
  title: string;
  /** null on the sign-in page and error pages without a session. */
  actor: Actor | null;
  csrf: string | null;
  /** Automatic runs are paused: every page says so at the top. */
  pause?: PauseState | null;
  /** A one-time message (after a cancel, for example). */
  flash?: string | null;
  /** Seconds: the page reloads itself (meta refresh, no JavaScript). */
  refreshSeconds?: number | null;
  /** Which menu entry is current. */
  section?: 'jobs' | 'actions' | 'rules' | null;
}

/** A hidden CSRF field: every form of a signed-in page carries one. */
export function csrfField(csrf: string | null): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrf ?? ''}">`;
}

/** The whole HTML document: head, menu, who is signed in (with Sign out), pause banner, content. */
export function renderPage(frame: PageFrame, content: HtmlPart): string {
  const nav = (href: string, label: string, key: PageFrame['section']) =>
    html`<a href="${href}"${frame.section === key ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${frame.refreshSeconds ? html`<meta http-equiv="refresh" content="${frame.refreshSeconds}">` : ''}
<title>${frame.title} · RUNE</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
</head>
<body>
<header class="top">
  <a class="brand" href="/">RUNE</a>
  ${
    frame.actor
      ? html`<nav>${nav('/', 'Jobs', 'jobs')} ${nav('/actions', 'Actions', 'actions')} ${nav('/rules', 'Rules', 'rules')}</nav>
  <form class="who" method="post" action="/logout">${csrfField(frame.csrf)}<span>${frame.actor.name} <span class="role">${frame.actor.role}</span></span> <button type="submit">Sign out</button></form>`
      : ''
  }
</header>
${frame.pause ? html`<p class="banner paused" role="status">Automatic runs are PAUSED since ${frame.pause.since} by ${frame.pause.actor}${frame.pause.reason ? html` (${frame.pause.reason})` : ''}. Alerts are recorded but nothing runs until someone resumes (<code>rune resume</code>).</p>` : ''}
${frame.flash ? html`<p class="banner flash" role="status">${frame.flash}</p>` : ''}
<main>
${content}
</main>
</body>
</html>
`.value;
}
