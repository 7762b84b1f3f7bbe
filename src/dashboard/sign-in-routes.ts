import express, { type Request } from 'express';
import type { AppContext } from '../app/context';
import { tokenMatches } from '../auth/check-token';
import { recordAudit } from '../app/record-audit';
import { countFailedAuth } from '../http/request-auth';
import { bodyField, readCookie, type DashboardKit } from './dashboard-kit';
import { renderErrorPage } from './render-error-page';
import { renderLoginPage } from './render-login-page';
import { randomToken } from './sessions';

/** Where to go after signing in: a path on this site only (never `//evil.example` or a full URL). */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s\\]*$/.test(next) && next.length < 2000 ? next : '/';
}

/**
 * Sign in with an API token, sign out. The sign-in form's CSRF token is a double submit (cookie
 * and field must agree). The token is checked first: a known one signs in whatever its address did
 * before; an unknown one counts toward the failed-auth limit (401, then 429).
 */
export function signInRoutes(ctx: AppContext, kit: DashboardKit, insecureNoAuth: boolean): express.Router {
  const router = express.Router();
  const source = (req: Request) => req.socket.remoteAddress ?? 'unknown';
  const errorPage = (status: number, title: string, message: string) =>
    renderErrorPage({ status, title, message, actor: null, csrf: null });

  router.get('/login', kit.headers, (req, res) => {
    if (insecureNoAuth || kit.currentSession(req)) {
      res.redirect(303, safeNext(req.query.next));
      return;
    }
    const token = randomToken();
    kit.setCookie(res, kit.loginCookie, token);
    kit.send(res, 200, renderLoginPage({ csrf: token, next: safeNext(req.query.next), error: null }));
  });

  router.post('/login', kit.headers, kit.form, (req, res) => {
    const expected = readCookie(req, kit.loginCookie);
    const offered = bodyField(req, '_csrf');
    const next = safeNext(bodyField(req, 'next'));
    const from = source(req);
    if (!expected || offered === undefined || !tokenMatches(offered, expected)) {
      ctx.log.warn({ source: from }, 'dashboard sign-in refused: missing or wrong CSRF token');
      const message =
        'The sign-in form carried no CSRF token or a wrong one (cookies off, or the form is old). ' +
        'Nothing was done: open the sign-in page again.';
      kit.send(res, 403, errorPage(403, 'Refused: bad form token', message));
      return;
    }
    const token = (bodyField(req, 'token') ?? '').trim();
    const actor = ctx.authenticate(token);
    if (!actor) {
      ctx.log.warn({ source: from }, 'dashboard sign-in refused: unknown token');
      const wait = countFailedAuth(ctx, from, '/login');
      if (wait > 0) {
        res.setHeader('Retry-After', String(wait));
        const message =
          `That token is not known. Too many failed authentications from ${from}: ` + `try again in ${wait} s.`;
        kit.send(res, 429, errorPage(429, 'Too many failed sign-ins', message));
        return;
      }
      const fresh = randomToken();
      kit.setCookie(res, kit.loginCookie, fresh);
      const error = 'That token is not known. Check it and try again.';
      kit.send(res, 401, renderLoginPage({ csrf: fresh, next, error }));
      return;
    }
    const old = readCookie(req, kit.sessionCookie);
    if (old) kit.sessions.destroy(old);
    const s = kit.sessions.create(actor, token); // always a new id: a session id set before sign-in is never promoted
    kit.setCookie(res, kit.sessionCookie, s.id);
    kit.clearCookie(res, kit.loginCookie);
    recordAudit(ctx, { actor: actor.name, source: from }, 'sign-in', 'dashboard', { role: actor.role });
    ctx.log.info({ actor: actor.name, role: actor.role, source: from }, 'dashboard sign-in');
    res.redirect(303, next);
  });

  router.post('/logout', ...kit.post, (_req, res) => {
    kit.sessions.destroy(kit.session(res).id);
    kit.clearCookie(res, kit.sessionCookie);
    res.redirect(303, '/login');
  });
  return router;
}
