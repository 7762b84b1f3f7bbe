import express from 'express';
import type { AppContext } from '../../app/context';
import type { NotificationOutcome } from '../../app/ingest-notification';
import { receiveAlertmanager } from '../../app/receive-alertmanager';
import { parseJsonBody } from '../parse-json-body';
import { sourceOf, type RequestAuth } from '../request-auth';

/** The 202 of a webhook that became jobs: stored, guards decided (docs/api.md). */
export function acceptedBody(outcome: NotificationOutcome, extra: Record<string, unknown> = {}): object {
  return {
    status: 'accepted',
    jobs: outcome.jobs,
    duplicates: outcome.duplicates,
    unmatched: outcome.unmatched,
    problems: outcome.problems,
    // Only when a guard acted, so the usual answer stays as it was.
    ...(outcome.suppressed.length ? { suppressed: outcome.suppressed } : {}),
    ...(outcome.cancelled.length ? { cancelled: outcome.cancelled } : {}),
    ...extra,
  };
}

/**
 * POST /webhooks/alertmanager (docs/protocols.md §1): bearer or basic auth. Alertmanager retries a
 * 5xx and never a 4xx (§1.1): bad input is 400, "cannot store now" 503.
 */
export function alertmanagerRoutes(ctx: AppContext, auth: RequestAuth, raw: express.RequestHandler): express.Router {
  const router = express.Router();
  router.post('/webhooks/alertmanager', auth.webhookToken(), raw, async (req, res) => {
    const body = parseJsonBody(req.body, req.get('content-type'));
    const outcome = await receiveAlertmanager(ctx, body, sourceOf(req));
    res.status(202).json(acceptedBody(outcome, outcome.warnings.length ? { warnings: outcome.warnings } : {}));
  });
  return router;
}
