import express, { type Request, type RequestHandler, type Response } from 'express';
import { tokenMatches } from '../auth/check-token';
import type { Actor } from '../auth/actor';
import type { AppContext } from '../app/context';
import type { PageFrame } from './render-page';
import { renderErrorPage } from './render-error-page';
import { createSessions, type Session, type SessionLimits, type Sessions } from './sessions';
import { createSharedSessions } from './shared-sessions';

const ANONYMOUS: Actor = { name: 'anonymous (--insecure-no-auth)', role: 'admin', actions: null, nodes: null };

/** Strict: nothing runs inline, nothing loads from elsewhere, no framing, forms post only here. */
const CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export interface DashboardOptions {
  /** `--insecure-no-auth`: no sign-in, everybody is an admin. */
  insecureNoAuth: boolean;
  sessionLimits?: SessionLimits;
}

export function readCookie(req: Request, name: string): string | null {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function bodyField(req: Request, name: string): string | undefined {
  const body = req.body as Record<string, unknown> | undefined;
  const v = body && typeof body === 'object' ? body[name] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/**
 * What every dashboard page shares (docs/dashboard.md): the security headers, the session cookie
 * (HttpOnly, SameSite=Strict; `__Host-` and Secure on https), sign-in enforcement, the CSRF check
 * of every form, and rendering pages and refusals.
 */
export function createDashboardKit(ctx: AppContext, o: DashboardOptions) {
  // Replicas sharing PostgreSQL share sessions too: a browser may reach any of them.
  const clock = () => ctx.now().getTime();
  const sessions: Sessions = ctx.store.shared
    ? createSharedSessions(ctx.store, clock, o.sessionLimits)
    : createSessions(clock, o.sessionLimits);
  const secure = /^https:/i.test(ctx.publicUrl);
  // `__Host-`: the browser keeps it only if Secure, Path=/ and without Domain (RFC 6265bis §4.1.3.2).
  const sessionCookie = secure ? '__Host-rune_session' : 'rune_session';
  const loginCookie = secure ? '__Host-rune_login' : 'rune_login';
  const cookieFlags = `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  const setCookie = (res: Response, name: string, value: string) =>
    res.append('Set-Cookie', `${name}=${value}; ${cookieFlags}`);
  const clearCookie = (res: Response, name: string) => res.append('Set-Cookie', `${name}=; ${cookieFlags}; Max-Age=0`);
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 500 });

  const headers: RequestHandler = (_req, res, next) => {
    res.set({
      'Content-Security-Policy': CSP,
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    });
    next();
  };
  const send = (res: Response, status: number, page: string) => void res.status(status).type('html').send(page);
  const session = (res: Response) => res.locals.session as Session;
  const frame = (res: Response): Omit<PageFrame, 'title' | 'section'> => {
    const s = session(res);
    const flash = s.flash;
    s.flash = null;
    return { actor: s.actor, csrf: s.csrf, pause: ctx.store.getPause(), flash };
  };
  const refuse = (res: Response, status: number, title: string, message: string) => {
    const s = res.locals.session as Session | undefined;
    send(res, status, renderErrorPage({ status, title, message, actor: s?.actor ?? null, csrf: s?.csrf ?? null }));
  };
  /**
   * The request's session, checked against the tokens file of the moment: a session whose token
   * was removed or replaced ends here ('revoked'); otherwise it acts as its token is now (a role
   * or scope changed by a reload applies at once).
   */
  const lookup = (req: Request): Session | 'revoked' | null => {
    const id = readCookie(req, sessionCookie);
    const s = id ? sessions.get(id) : null;
    if (!s || s.tokenHash === null) return s;
    const actor = ctx.authenticateHash(s.tokenHash);
    if (!actor) {
      sessions.destroy(s.id);
      const fields = { actor: s.actor.name, source: req.socket.remoteAddress };
      ctx.log.info(fields, 'dashboard session ended: its token is no longer in the tokens file');
      return 'revoked';
    }
    s.actor = actor;
    return s;
  };
  const currentSession = (req: Request): Session | null => {
    const s = lookup(req);
    return s === 'revoked' ? null : s;
  };

  /** Pages need a session: GETs go to the sign-in form, anything else is refused and does nothing. */
  const signedIn: RequestHandler = (req, res, next) => {
    const found = lookup(req);
    let s = found === 'revoked' ? null : found;
    if (!s && o.insecureNoAuth) {
      s = sessions.create(ANONYMOUS, null);
      setCookie(res, sessionCookie, s.id);
    }
    if (!s) {
      if (req.method === 'GET' || req.method === 'HEAD') {
        res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
      } else {
        const message =
          found === 'revoked'
            ? 'Your session ended: its token is no longer in the tokens file (removed or replaced). ' +
              'Nothing was done. Sign in with a current token.'
            : 'You are not signed in (or your session expired): nothing was done. Sign in and try again.';
        refuse(res, 401, 'Not signed in', message);
      }
      return;
    }
    res.locals.session = s;
    next();
  };
  /** The form's CSRF token must be this session's (compared in constant time). */
  const csrf: RequestHandler = (req, res, next) => {
    const offered = bodyField(req, '_csrf');
    if (offered === undefined || !tokenMatches(offered, session(res).csrf)) {
      const fields = { path: req.path, source: req.socket.remoteAddress, actor: session(res).actor.name };
      ctx.log.warn(fields, 'dashboard POST refused: missing or wrong CSRF token');
      const message =
        'This form carried no CSRF token or a wrong one, so nothing was done. Reload the page and try again.';
      refuse(res, 403, 'Refused: bad form token', message);
      return;
    }
    next();
  };
  return {
    sessions,
    sessionCookie,
    loginCookie,
    setCookie,
    clearCookie,
    form,
    headers,
    send,
    session,
    frame,
    refuse,
    currentSession,
    /** GET pages: headers and a session. */
    page: [headers, signedIn],
    /** Forms: headers, the body, a session and its CSRF token. */
    post: [headers, form, signedIn, csrf],
  };
}

export type DashboardKit = ReturnType<typeof createDashboardKit>;
