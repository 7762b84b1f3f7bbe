import express from 'express';
import type { AppContext } from '../../app/context';
import { runIncidentAction } from '../../app/incident-action';
import { receivePagerDutyEvent } from '../../app/receive-pagerduty';
import { actorOf, sourceOf, type RequestAuth } from '../request-auth';
import { parseJsonBody } from '../parse-json-body';
import { checkIncidentActionQuery } from '../request-schemas';
import { readQuery } from '../validate-request';

/**
 * PagerDuty: the v3 webhook (signed over the raw bytes, docs/protocols.md §2.3; answered within 5 s,
 * §2.5) and the Custom Incident Action (a token with role operator; §2.8).
 */
export function pagerdutyRoutes(ctx: AppContext, auth: RequestAuth, raw: express.RequestHandler): express.Router {
  const router = express.Router();
  // The raw body is read before the signature check: the HMAC is over exactly those bytes.
  router.post('/webhooks/pagerduty', raw, auth.pagerdutySignature(), (req, res) => {
    const body = parseJsonBody(req.body, req.get('content-type'));
    const outcome = receivePagerDutyEvent(ctx, body, req.get('x-webhook-id'), sourceOf(req));
    res.status(outcome.status === 'accepted' ? 202 : 200).json(outcome);
  });
  const what = 'POST /webhooks/pagerduty/incident-action';
  router.post('/webhooks/pagerduty/incident-action', auth.actor('run', what), raw, async (req, res) => {
    const query = readQuery(req, checkIncidentActionQuery);
    const body = parseJsonBody(req.body, req.get('content-type'));
    const outcome = await runIncidentAction(
      ctx,
      actorOf(res),
      sourceOf(req),
      body,
      { action: query.action ?? null, node: query.node ?? null },
      req.get('x-webhook-id'),
    );
    res.status(outcome.status === 'accepted' ? 202 : 200).json(outcome);
  });
  return router;
}
