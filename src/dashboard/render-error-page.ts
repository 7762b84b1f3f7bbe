import type { Actor } from '../auth/actor';
import { html } from './html';
import { renderPage } from './render-page';

/** A page for something that cannot be shown or done (404 job, 403 role or CSRF): what and what next. */
export function renderErrorPage(o: {
  status: number;
  title: string;
  message: string;
  actor: Actor | null;
  csrf: string | null;
}): string {
  return renderPage(
    { title: o.title, actor: o.actor, csrf: o.csrf },
    html`<h1>${o.title}</h1>
<p class="error" role="alert">${o.message}</p>
<p><a href="/">Back to the jobs list</a>${o.actor ? '' : html` · <a href="/login">Sign in</a>`}</p>`,
  );
}
