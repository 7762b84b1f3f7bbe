import { ruleStats } from '../app/rule-stats';
import { runRoutes } from './run-routes';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from '../app/context';
import { httpErrorView } from '../http/http-error-view';
import { DASHBOARD_CSS } from './dashboard-css';
import { createDashboardKit, type DashboardOptions } from './dashboard-kit';
import { FAVICON_SVG } from './favicon';
import { jobRoutes } from './job-routes';
import { renderActionsPage } from './render-actions-page';
import { renderRulesPage } from './render-rules-page';
import { signInRoutes } from './sign-in-routes';

export type { DashboardOptions };

/**
 * The dashboard (docs/dashboard.md): server-rendered pages over the store and the runtime, signed
 * in with an API token that becomes a session cookie. Every form carries the session's CSRF token;
 * every button is checked again on the server by the same use cases the API calls.
 */
export function createDashboard(ctx: AppContext, o: DashboardOptions): express.Router {
  const router = express.Router();
  const kit = createDashboardKit(ctx, o);
  const asset = (type: string, body: string) => (_req: Request, res: Response) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'public, max-age=300' }).type(type).send(body);
  };
  router.get('/assets/dashboard.css', asset('text/css', DASHBOARD_CSS));
  // Browsers ask for an icon on every page view; without one, each view logged a 404.
  router.get(['/assets/favicon.svg', '/favicon.ico'], asset('image/svg+xml', FAVICON_SVG));

  router.use(signInRoutes(ctx, kit, o.insecureNoAuth));
  router.use(jobRoutes(ctx, kit));
  router.use(runRoutes(ctx, kit));

  router.get('/actions', ...kit.page, (_req, res) => {
    kit.send(res, 200, renderActionsPage(kit.frame(res), ctx.runtime().registry));
  });

  router.get('/rules', ...kit.page, (_req, res) => {
    const rt = ctx.runtime();
    const breakers = new Map(ctx.store.listBreakers().map((b) => [b.rule, b]));
    // Effectiveness over the last 30 days, as GET /api/v1/rules/stats gives it.
    const stats = new Map(ruleStats(ctx, ctx.now().getTime() - 30 * 86_400_000).map((s) => [s.rule, s]));
    const rules = rt.config.rules.map((rule) => ({
      stats: stats.get(rule.name) ?? null,
      rule,
      guards: rt.guards.get(rule.name),
      breaker: breakers.get(rule.name) ?? null,
      recent: ctx.store.listJobs({ rule: rule.name, limit: 5 }),
    }));
    kit.send(res, 200, renderRulesPage(kit.frame(res), { source: rt.config.source, rules }));
  });

  // Errors inside the dashboard (a body too large, a fault) become pages, not JSON.
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const e = httpErrorView(err);
    if (e.status >= 500) ctx.log.error({ err, path: req.path }, 'dashboard request failed');
    const fault = e.status >= 500;
    const message = fault ? 'RUNE hit an internal error (see the server log). Nothing you did caused it.' : e.message;
    kit.refuse(res, e.status, fault ? 'Something went wrong' : 'Bad request', message);
  });
  return router;
}
