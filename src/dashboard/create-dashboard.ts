import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { allows, type Actor } from '../auth/actor';
import type { Logger } from '../core/logger';
import type { Runtime } from '../server/create-app';
import { tokenMatches } from '../server/check-token';
import { httpStatusFor } from '../server/http-error';
import type { Job } from '../core/job';
import type { JobFilter, Store } from '../store/store';
import type { JobStatus } from '../core/types';
import { DASHBOARD_CSS } from './dashboard-css';
import { EXTRA_FIELD, formValues, paramFields, readParamForm, type ParamField } from './param-form';
import { renderActionsPage } from './render-actions-page';
import { renderErrorPage } from './render-error-page';
import { renderJobPage } from './render-job-page';
import { JOB_FILTERS, renderJobsPage, type JobFilterValues } from './render-jobs-page';
import { renderLoginPage } from './render-login-page';
import type { PageFrame } from './render-page';
import { renderRerunPage } from './render-rerun-page';
import { renderRulesPage } from './render-rules-page';
import { createSessions, randomToken, type Session, type SessionLimits } from './sessions';
import { jobPath } from './format';

/** What the Re-run form asks for: edited params, and whether to run although paused. */
export interface RerunOptions {
  params: Record<string, unknown>;
  whilePaused: boolean;
  /** The browser's address, for the audit log. */
  source: string;
}

export interface DashboardDeps {
  store: Store;
  runtime: () => Runtime;
  /** A token typed into the sign-in form → who it is, or null (unknown token). */
  authenticate: (token: string) => Actor | null;
  /** `--insecure-no-auth`: no sign-in, everybody is an admin. */
  insecureNoAuth: boolean;
  /** RUNE_PUBLIC_URL: https makes the session cookie Secure. */
  publicUrl: string;
  now: () => Date;
  log: Logger;
  /** The API's retry (POST /api/v1/jobs/:id/retry) with edited params: same checks, same audit record. Throws HttpError / RuneError. */
  rerunJob: (actor: Actor, id: string, opts: RerunOptions) => Job;
  /** Cancels a queued job; without it the dashboard shows no Cancel button. */
  cancelJob?: (actor: Actor, id: string, reason: string, source: string) => { ok: boolean; message: string };
  sessionLimits?: SessionLimits;
  /**
   * The API's limit on failed authentications per source address (docs/security.md): a sign-in
   * with an unknown token counts as one, and an address over the limit gets 429 before any check.
   */
  failedAuth?: { blockedFor: (source: string) => number; fail: (source: string) => void };
}

const JOB_STATUSES: JobStatus[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'skipped',
  'interrupted',
];
const PAGE_SIZE = 50;
const ANONYMOUS: Actor = { name: 'anonymous (--insecure-no-auth)', role: 'admin', actions: null, nodes: null };

/** Strict: nothing runs inline, nothing loads from elsewhere, no framing, forms post only here. */
const CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function readCookie(req: Request, name: string): string | null {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Where to go after signing in: a path on this site only (never `//evil.example` or a full URL). */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s\\]*$/.test(next) && next.length < 2000 ? next : '/';
}

function bodyField(req: Request, name: string): string | undefined {
  const body = req.body as Record<string, unknown> | undefined;
  const v = body && typeof body === 'object' ? body[name] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/**
 * The dashboard (docs/dashboard.md): server-rendered pages over the store and the runtime,
 * signed in with an API token that becomes a session cookie. Every form carries the session's
 * CSRF token; every button is also checked on the server with allows().
 */
export function createDashboard(deps: DashboardDeps): express.Router {
  const router = express.Router();
  const sessions = createSessions(() => deps.now().getTime(), deps.sessionLimits);
  const secure = /^https:/i.test(deps.publicUrl);
  // `__Host-`: the browser keeps it only if Secure, Path=/ and without Domain (RFC 6265bis §4.1.3.2).
  const SESSION_COOKIE = secure ? '__Host-rune_session' : 'rune_session';
  const LOGIN_COOKIE = secure ? '__Host-rune_login' : 'rune_login';
  const cookieFlags = `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  const setCookie = (res: Response, name: string, value: string) =>
    res.append('Set-Cookie', `${name}=${value}; ${cookieFlags}`);
  const clearCookie = (res: Response, name: string) => res.append('Set-Cookie', `${name}=; ${cookieFlags}; Max-Age=0`);
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 500 });
  const source = (req: Request) => req.socket.remoteAddress ?? 'unknown';

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
    return { actor: s.actor, csrf: s.csrf, pause: deps.store.getPause(), flash };
  };
  const refuse = (res: Response, status: number, title: string, message: string) => {
    const s = res.locals.session as Session | undefined;
    send(res, status, renderErrorPage({ status, title, message, actor: s?.actor ?? null, csrf: s?.csrf ?? null }));
  };
  const currentSession = (req: Request): Session | null => {
    const id = readCookie(req, SESSION_COOKIE);
    return id ? sessions.get(id) : null;
  };

  /** Pages need a session: GETs go to the sign-in form, anything else is refused and does nothing. */
  const signedIn: RequestHandler = (req, res, next) => {
    let s = currentSession(req);
    if (!s && deps.insecureNoAuth) {
      s = sessions.create(ANONYMOUS);
      setCookie(res, SESSION_COOKIE, s.id);
    }
    if (!s) {
      if (req.method === 'GET' || req.method === 'HEAD')
        res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
      else
        refuse(
          res,
          401,
          'Not signed in',
          'You are not signed in (or your session expired): nothing was done. Sign in and try again.',
        );
      return;
    }
    res.locals.session = s;
    next();
  };
  /** The form's CSRF token must be this session's (compared in constant time). */
  const csrf: RequestHandler = (req, res, next) => {
    const offered = bodyField(req, '_csrf');
    if (offered === undefined || !tokenMatches(offered, session(res).csrf)) {
      deps.log.warn(
        { path: req.path, source: source(req), actor: session(res).actor.name },
        'dashboard POST refused: missing or wrong CSRF token',
      );
      refuse(
        res,
        403,
        'Refused: bad form token',
        'This form carried no CSRF token or a wrong one, so nothing was done. Reload the page and try again.',
      );
      return;
    }
    next();
  };
  const page = [headers, signedIn];
  const post = [headers, form, signedIn, csrf];

  /** The job named in the path, or a 404 page (then undefined). */
  const jobOr404 = (req: Request, res: Response): Job | undefined => {
    const job = deps.store.getJob(String(req.params.id));
    if (!job)
      refuse(
        res,
        404,
        'No such job',
        `There is no job ${JSON.stringify(String(req.params.id))}. It may be mistyped, or from another RUNE database.`,
      );
    return job ?? undefined;
  };
  /** The actor may run this job's action on its node, or a 403 page (then false). */
  const mayRun = (res: Response, job: Job, what: string): boolean => {
    const actor = session(res).actor;
    if (allows(actor, 'run', { action: job.request.action, node: job.request.node })) return true;
    deps.log.warn(
      { actor: actor.name, role: actor.role, job_id: job.id },
      `dashboard ${what} refused: role does not allow it`,
    );
    refuse(
      res,
      403,
      'Not allowed',
      `${actor.name} (${actor.role}) may not ${what} ${job.request.action} on ${job.request.node}.`,
    );
    return false;
  };

  router.get('/assets/dashboard.css', (_req, res) => {
    res
      .set({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'public, max-age=300' })
      .type('text/css')
      .send(DASHBOARD_CSS);
  });

  // ---- Sign in / out. The sign-in form's CSRF token is a double submit: cookie and field must agree.
  router.get('/login', headers, (req, res) => {
    if (deps.insecureNoAuth || currentSession(req)) {
      res.redirect(303, safeNext(req.query.next));
      return;
    }
    const token = randomToken();
    setCookie(res, LOGIN_COOKIE, token);
    send(res, 200, renderLoginPage({ csrf: token, next: safeNext(req.query.next), error: null }));
  });

  router.post('/login', headers, form, (req, res) => {
    const expected = readCookie(req, LOGIN_COOKIE);
    const offered = bodyField(req, '_csrf');
    const next = safeNext(bodyField(req, 'next'));
    if (!expected || offered === undefined || !tokenMatches(offered, expected)) {
      deps.log.warn({ source: source(req) }, 'dashboard sign-in refused: missing or wrong CSRF token');
      send(
        res,
        403,
        renderErrorPage({
          status: 403,
          title: 'Refused: bad form token',
          message:
            'The sign-in form carried no CSRF token or a wrong one (cookies off, or the form is old). Nothing was done: open the sign-in page again.',
          actor: null,
          csrf: null,
        }),
      );
      return;
    }
    const wait = deps.failedAuth?.blockedFor(source(req)) ?? 0;
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      send(
        res,
        429,
        renderErrorPage({
          status: 429,
          title: 'Too many failed sign-ins',
          message: `Too many failed authentications from ${source(req)}: try again in ${wait} s.`,
          actor: null,
          csrf: null,
        }),
      );
      return;
    }
    const actor = deps.authenticate((bodyField(req, 'token') ?? '').trim());
    if (!actor) {
      deps.failedAuth?.fail(source(req));
      deps.log.warn({ source: source(req) }, 'dashboard sign-in refused: unknown token');
      const fresh = randomToken();
      setCookie(res, LOGIN_COOKIE, fresh);
      send(res, 401, renderLoginPage({ csrf: fresh, next, error: 'That token is not known. Check it and try again.' }));
      return;
    }
    const old = readCookie(req, SESSION_COOKIE);
    if (old) sessions.destroy(old);
    const s = sessions.create(actor); // always a new id: a session id set before sign-in is never promoted
    setCookie(res, SESSION_COOKIE, s.id);
    clearCookie(res, LOGIN_COOKIE);
    deps.store.audit({
      at: deps.now().toISOString(),
      actor: actor.name,
      source: source(req),
      action: 'sign-in',
      target: 'dashboard',
      details: { role: actor.role },
    });
    deps.log.info({ actor: actor.name, role: actor.role, source: source(req) }, 'dashboard sign-in');
    res.redirect(303, next);
  });

  router.post('/logout', ...post, (_req, res) => {
    sessions.destroy(session(res).id);
    clearCookie(res, SESSION_COOKIE);
    res.redirect(303, '/login');
  });

  // ---- Jobs
  router.get('/', ...page, (req, res) => {
    const filters: JobFilterValues = {};
    for (const k of JOB_FILTERS) {
      const v = req.query[k];
      if (typeof v === 'string' && v.trim() !== '') filters[k] = v.trim().slice(0, 200);
    }
    const refresh = req.query.refresh === 'on';
    const before =
      typeof req.query.before === 'string' && req.query.before !== '' ? req.query.before.slice(0, 100) : undefined;
    let error: string | null = null;
    let jobs: Job[] = [];
    if (filters.status !== undefined && !JOB_STATUSES.includes(filters.status as JobStatus)) {
      error = `Unknown status ${JSON.stringify(filters.status)}: choose one of ${JOB_STATUSES.join(', ')}.`;
    } else {
      const filter: JobFilter = { limit: PAGE_SIZE + 1 };
      for (const k of ['node', 'rule', 'incident'] as const) if (filters[k] !== undefined) filter[k] = filters[k];
      if (filters.status !== undefined) filter.status = filters.status as JobStatus;
      if (before !== undefined) filter.before = before;
      jobs = deps.store.listJobs(filter);
    }
    const more = jobs.length > PAGE_SIZE;
    jobs = jobs.slice(0, PAGE_SIZE);
    send(
      res,
      error ? 400 : 200,
      renderJobsPage(frame(res), {
        jobs,
        filters,
        statuses: JOB_STATUSES,
        refresh,
        error,
        olderBefore: more ? (jobs[jobs.length - 1]?.id ?? null) : null,
      }),
    );
  });

  const canCancel = (actor: Actor, job: Job) =>
    deps.cancelJob !== undefined &&
    job.status === 'queued' &&
    allows(actor, 'run', { action: job.request.action, node: job.request.node });
  router.get('/jobs/:id', ...page, (req, res) => {
    const job = jobOr404(req, res);
    if (!job) return;
    const actor = session(res).actor;
    send(
      res,
      200,
      renderJobPage(frame(res), {
        job,
        canRerun: allows(actor, 'run', { action: job.request.action, node: job.request.node }),
        canCancel: canCancel(actor, job),
      }),
    );
  });

  // ---- Re-run: a confirmation page with the params editable, checked against the plugin's schema.
  const rerunForm = (job: Job): { fields: ParamField[]; problem: string | null } => {
    const plugin = deps.runtime().registry.plugins.get(job.request.action);
    if (!plugin)
      return {
        fields: [],
        problem: `The action ${job.request.action} is not in the plugins folder any more: a re-run cannot start.`,
      };
    return { fields: paramFields(plugin.params), problem: null };
  };
  router.get('/jobs/:id/rerun', ...page, (req, res) => {
    const job = jobOr404(req, res);
    if (!job || !mayRun(res, job, 're-run')) return;
    const { fields, problem } = rerunForm(job);
    send(
      res,
      200,
      renderRerunPage(frame(res), {
        job,
        fields,
        values: formValues(fields, job.request.params),
        errors: {},
        problem,
        paused: deps.store.getPause() !== null,
        whilePaused: false,
      }),
    );
  });

  router.post('/jobs/:id/rerun', ...post, (req, res) => {
    const job = jobOr404(req, res);
    if (!job || !mayRun(res, job, 're-run')) return;
    const { fields, problem } = rerunForm(job);
    const submitted: Record<string, string> = {};
    for (const f of fields) submitted[f.name] = bodyField(req, `p.${f.name}`) ?? '';
    submitted[EXTRA_FIELD] = bodyField(req, EXTRA_FIELD) ?? '';
    const whilePaused = bodyField(req, 'while_paused') === 'true';
    const paused = deps.store.getPause() !== null;
    const again = (
      status: number,
      values: Record<string, string>,
      errors: Record<string, string[]>,
      message: string | null,
    ) =>
      send(
        res,
        status,
        renderRerunPage(frame(res), { job, fields, values, errors, problem: message, paused, whilePaused }),
      );
    if (problem) {
      again(400, submitted, {}, problem);
      return;
    }
    const outcome = readParamForm(fields, submitted, deps.runtime().registry.validator(job.request.action));
    if (Object.keys(outcome.errors).length) {
      again(
        400,
        outcome.values,
        outcome.errors,
        'The params are not valid for this action: nothing was started. Fix the fields marked below.',
      );
      return;
    }
    try {
      const created = deps.rerunJob(session(res).actor, job.id, {
        params: outcome.params,
        whilePaused,
        source: source(req),
      });
      session(res).flash = `Re-run of job ${job.id} started as job ${created.id}.`;
      res.redirect(303, jobPath(created.id));
    } catch (err) {
      const e = httpStatusFor(err);
      if (e.status >= 500) deps.log.error({ err, job_id: job.id }, 'dashboard re-run failed');
      again(
        e.status,
        outcome.values,
        {},
        e.status >= 500
          ? 'RUNE could not start the re-run (see the server log); nothing was started.'
          : `Not started: ${e.message}`,
      );
    }
  });

  router.post('/jobs/:id/cancel', ...post, (req, res) => {
    const cancel = deps.cancelJob;
    if (!cancel) {
      refuse(res, 404, 'Cancel is not available', 'This RUNE cannot cancel jobs from the dashboard.');
      return;
    }
    const job = jobOr404(req, res);
    if (!job || !mayRun(res, job, 'cancel')) return;
    const reason = (bodyField(req, 'reason') ?? '').trim().slice(0, 500) || 'cancelled from the dashboard';
    const outcome = cancel(session(res).actor, job.id, reason, source(req));
    if (outcome.ok) {
      session(res).flash = outcome.message;
      res.redirect(303, jobPath(job.id));
      return;
    }
    const fresh = deps.store.getJob(job.id) ?? job;
    send(
      res,
      409,
      renderJobPage(frame(res), {
        job: fresh,
        canRerun: true,
        canCancel: canCancel(session(res).actor, fresh),
        cancelError: `Not cancelled: ${outcome.message}`,
      }),
    );
  });

  // ---- Catalogue and rules
  router.get('/actions', ...page, (_req, res) => {
    send(res, 200, renderActionsPage(frame(res), deps.runtime().registry));
  });

  router.get('/rules', ...page, (_req, res) => {
    const rt = deps.runtime();
    const breakers = new Map(deps.store.listBreakers().map((b) => [b.rule, b]));
    const rules = rt.config.rules.map((rule) => ({
      rule,
      guards: rt.guards.get(rule.name),
      breaker: breakers.get(rule.name) ?? null,
      recent: deps.store.listJobs({ rule: rule.name, limit: 5 }),
    }));
    send(res, 200, renderRulesPage(frame(res), { source: rt.config.source, rules }));
  });

  // Errors inside the dashboard (a body too large, a fault) become pages, not JSON.
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const e = httpStatusFor(err);
    if (e.status >= 500) deps.log.error({ err, path: req.path }, 'dashboard request failed');
    refuse(
      res,
      e.status,
      e.status >= 500 ? 'Something went wrong' : 'Bad request',
      e.status >= 500 ? 'RUNE hit an internal error (see the server log). Nothing you did caused it.' : e.message,
    );
  });
  return router;
}
