import express from 'express';
import type { AppContext } from '../app/context';
import { RuneError } from '../core/errors';
import { createDashboard } from '../dashboard/create-dashboard';
import type { SessionLimits } from '../dashboard/sessions';
import { countWebhooks } from './count-webhooks';
import { errorHandler } from './error-handler';
import { loopbackHostOnly } from './loopback-host-only';
import { createRequestAuth, type EdgeAuth } from './request-auth';
import { alertmanagerRoutes } from './routes/alertmanager-routes';
import { auditRoutes } from './routes/audit-routes';
import { guardsRoutes } from './routes/guards-routes';
import { jobsRoutes } from './routes/jobs-routes';
import { lifecycleRoutes } from './routes/lifecycle-routes';
import { metricsRoutes } from './routes/metrics-routes';
import { pagerdutyRoutes } from './routes/pagerduty-routes';

export interface HttpOptions {
  auth: EdgeAuth;
  /** Re-reads rules and tokens (POST /-/reload). */
  reload: () => { ok: boolean; problems: string[] };
  /** Request bodies above this are refused with 413 (docs/api.md: 2 MiB). */
  bodyLimitBytes: number;
  sessionLimits?: SessionLimits;
}

/**
 * The HTTP surface of `rune serve` (docs/api.md): one router per surface over the use cases of
 * src/app, one authentication module, one error handler. The routes only translate HTTP to use
 * cases and back.
 */
export function createApp(ctx: AppContext, o: HttpOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  // Bodies are kept as bytes: the PagerDuty signature is over exactly what was sent (docs/protocols.md §2.3).
  const raw = express.raw({ type: () => true, limit: o.bodyLimitBytes });
  const auth = createRequestAuth(ctx, o.auth);
  // With every endpoint open, only loopback names: no web page reaches it through DNS rebinding.
  if (o.auth.insecureNoAuth) app.use(loopbackHostOnly());
  app.use('/webhooks', countWebhooks(ctx.metrics));
  app.use(lifecycleRoutes(ctx, auth, raw, o.reload));
  app.use(alertmanagerRoutes(ctx, auth, raw));
  app.use(pagerdutyRoutes(ctx, auth, raw));
  app.use(jobsRoutes(ctx, auth, raw));
  app.use(auditRoutes(ctx, auth));
  app.use(guardsRoutes(ctx, auth, raw));
  app.use(metricsRoutes(ctx, auth));
  app.use(
    createDashboard(ctx, {
      insecureNoAuth: o.auth.insecureNoAuth,
      ...(o.sessionLimits ? { sessionLimits: o.sessionLimits } : {}),
    }),
  );
  app.use((req, _res, next) => next(new RuneError('NOT_FOUND', `no such endpoint: ${req.method} ${req.path}`)));
  app.use(errorHandler(ctx.log));
  return app;
}
