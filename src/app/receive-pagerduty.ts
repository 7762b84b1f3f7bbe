import { RuneError } from '../core/errors';
import { parsePagerDutyEvent } from '../sources/pagerduty/parse-pagerduty-event';
import { requireAccepting, type AppContext } from './context';
import { matchPendingIncident } from './match-pending-incident';

/** What became of one PagerDuty v3 delivery; `accepted` is answered 202, the others 200. */
export type PagerDutyOutcome =
  | { status: 'duplicate'; webhook_id: string | undefined }
  | { status: 'pong' }
  | { status: 'ignored'; event_type: string }
  | { status: 'accepted'; incident: string; warning?: string };

/** Incident events RUNE acts on; the others are acknowledged and ignored (docs/protocols.md §2.4). */
const ACTED_ON = ['incident.triggered', 'incident.resolved'];

/**
 * A PagerDuty v3 webhook event whose signature was checked (docs/protocols.md §2). PagerDuty wants a
 * 2xx within 5 s (§2.5): an incident is stored as pending (with the delivery's dedup key and audit
 * record, one transaction) and answered at once; its alerts are looked up afterwards, and again
 * after a restart if RUNE stopped first. PagerDuty repeats X-Webhook-Id on retries: duplicates are
 * acknowledged and dropped.
 */
export function receivePagerDutyEvent(
  ctx: AppContext,
  body: unknown,
  webhookId: string | undefined,
  source: string,
): PagerDutyOutcome {
  requireAccepting(ctx);
  const parsed = parsePagerDutyEvent(body);
  if (!parsed.ok) {
    const message = `not a PagerDuty v3 webhook: ${parsed.problems.slice(0, 5).join('; ')}`;
    throw new RuneError('INVALID_PAYLOAD', message, { problems: parsed.problems });
  }
  const event = parsed.value;
  const dedupKey = webhookId ? `pagerduty-webhook\u0000${webhookId}` : null;
  const actOn = event.kind === 'incident' && ACTED_ON.includes(event.eventType);
  const pd = ctx.pagerduty();
  // An incident with a REST token claims its key below, in the pending entry's transaction.
  if (!(actOn && pd) && dedupKey && !ctx.store.rememberKey(dedupKey)) {
    return { status: 'duplicate', webhook_id: webhookId };
  }
  if (event.kind === 'ping') return { status: 'pong' };
  if (event.kind !== 'incident' || !actOn) return { status: 'ignored', event_type: event.eventType };
  const record = {
    at: ctx.now().toISOString(),
    actor: 'pagerduty',
    source,
    action: 'webhook',
    target: `incident ${event.incident.id}`,
    details: { event_type: event.eventType, event_id: event.eventId, webhook_id: webhookId ?? null },
  };
  if (!pd) {
    ctx.store.audit(record);
    ctx.log.warn(
      { incident: event.incident.id },
      'PagerDuty incident received but RUNE_PAGERDUTY_TOKEN is not set: cannot look up its alerts',
    );
    const warning =
      'no PagerDuty REST token configured (RUNE_PAGERDUTY_TOKEN): the incident cannot be matched to a host';
    return { status: 'accepted', incident: event.incident.id, warning };
  }
  const pendingKey = `pagerduty:${webhookId ?? event.eventId}`;
  const saved = { body, webhook_id: webhookId ?? null };
  if (!ctx.store.acceptPendingIncident(dedupKey, pendingKey, saved, record)) {
    return { status: 'duplicate', webhook_id: webhookId };
  }
  ctx.inBackground(matchPendingIncident(ctx, pendingKey, event, webhookId ?? null));
  return { status: 'accepted', incident: event.incident.id };
}
