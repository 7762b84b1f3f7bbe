import { html } from './html';
import { renderPage } from './render-page';

/** What the sign-in form says about the token. */
const TOKEN_HINT = [
  html`Use a token from the API tokens file (<code>RUNE_API_TOKENS_FILE</code>). It is checked once; `,
  html`the browser then keeps only a session cookie (docs/dashboard.md).`,
];

/** The sign-in form: an API token in, a session cookie out. `csrf` is the pre-sign-in token (double submit). */
export function renderLoginPage(o: { csrf: string; next: string; error: string | null }): string {
  return renderPage(
    { title: 'Sign in', actor: null, csrf: null },
    html`<h1>Sign in to RUNE</h1>
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
<form class="card" method="post" action="/login">
  <input type="hidden" name="_csrf" value="${o.csrf}">
  <input type="hidden" name="next" value="${o.next}">
  <div class="field"><label for="token">API token</label><br>
  <input id="token" name="token" type="password" autocomplete="current-password" size="48" required autofocus></div>
  <button type="submit">Sign in</button>
  <p class="hint">${TOKEN_HINT}</p>
</form>`,
  );
}
