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
  section?: 'jobs' | 'actions' | 'rules' | 'run' | null;
}

/** A hidden CSRF field: every form of a signed-in page carries one. */
export function csrfField(csrf: string | null): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrf ?? ''}">`;
}

/** The banner every page shows while automatic runs are paused. */
function pauseBanner(pause: PauseState): SafeHtml {
  const reason = pause.reason ? html` (${pause.reason})` : '';
  return html`<p class="banner paused" role="status">${[
    html`Automatic runs are PAUSED since ${pause.since} by ${pause.actor}${reason}. `,
    html`Alerts are recorded but nothing runs until someone resumes (<code>rune resume</code>).`,
  ]}</p>`;
}

/** The whole HTML document: head, menu, who is signed in (with Sign out), pause banner, content. */
export function renderPage(frame: PageFrame, content: HtmlPart): string {
  const nav = (href: string, label: string, key: PageFrame['section']) =>
    html`<a href="${href}"${frame.section === key ? html` aria-current="page"` : ''}>${label}</a>`;
  const menu = () => [
    nav('/', 'Jobs', 'jobs'),
    ' ',
    nav('/actions', 'Actions', 'actions'),
    ' ',
    nav('/rules', 'Rules', 'rules'),
    ...(frame.actor && frame.actor.role !== 'viewer' ? [' ', nav('/run', 'Start a run', 'run')] : []),
  ];
  const signOut = (actor: Actor) => [
    html`<form class="who" method="post" action="/logout">${csrfField(frame.csrf)}`,
    html`<span>${actor.name} <span class="role">${actor.role}</span></span> `,
    html`<button type="submit">Sign out</button></form>`,
  ];
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
      ? html`<nav>${menu()}</nav>
  ${signOut(frame.actor)}`
      : ''
  }
</header>
${frame.pause ? pauseBanner(frame.pause) : ''}
${frame.flash ? html`<p class="banner flash" role="status">${frame.flash}</p>` : ''}
<main>
${content}
</main>
</body>
</html>
`.value;
}
