import express from 'express';
import type { AppContext } from '../../app/context';
import type { RequestAuth } from '../request-auth';

/**
 * GET /metrics (docs/observability.md): an API token with role viewer; Prometheus scrapes with
 * `authorization: {credentials_file: …}` holding it.
 */
export function metricsRoutes(ctx: AppContext, auth: RequestAuth): express.Router {
  const router = express.Router();
  router.get('/metrics', auth.actor('read', 'GET /metrics'), async (_req, res) => {
    const { contentType, text } = await ctx.metrics.render();
    res.type(contentType).send(text);
  });
  return router;
}
