import type { NextFunction, Request, Response } from 'express';
import type { RuneMetrics } from '../app/create-metrics';

/** The webhook endpoints by path under /webhooks; anything else counts as `unknown` (bounded labels). */
const SOURCES: Record<string, string> = {
  '/alertmanager': 'alertmanager',
  '/pagerduty': 'pagerduty',
  '/pagerduty/incident-action': 'pagerduty_incident_action',
};

/** What a webhook answer means, from its status and (for 2xx) the `status` of its JSON body. */
export function webhookOutcome(status: number, body: unknown): string {
  if (status >= 200 && status < 300) {
    const b = (body ?? {}) as { status?: unknown; jobs?: unknown[]; duplicates?: unknown[] };
    // Alertmanager re-sends a group: an answer that created nothing and only found duplicates is a duplicate.
    if (Array.isArray(b.jobs) && b.jobs.length === 0 && Array.isArray(b.duplicates) && b.duplicates.length > 0)
      return 'duplicate';
    return typeof b.status === 'string' && ['duplicate', 'ignored', 'pong'].includes(b.status) ? b.status : 'accepted';
  }
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 503) return 'unavailable';
  if (status >= 500) return 'error';
  return 'bad_request';
}

/**
 * Express middleware for /webhooks: counts every answer in rune_webhooks_received_total
 * {source, outcome} when it is sent, whichever handler or error path sent it.
 */
export function countWebhooks(metrics: RuneMetrics | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!metrics) return next();
    // Now, while req.path is relative to /webhooks (Express restores the full path afterwards).
    const source = SOURCES[req.path.replace(/\/+$/, '')] ?? 'unknown';
    let body: unknown;
    const json = res.json.bind(res);
    res.json = (b: unknown) => {
      body = b;
      return json(b);
    };
    res.once('finish', () => metrics.webhook(source, webhookOutcome(res.statusCode, body)));
    next();
  };
}
