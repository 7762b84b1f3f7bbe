import { findIncidentLabels } from '../sources/pagerduty/find-incident-labels';
import { pagerDutyIncidentToAlert } from '../sources/pagerduty/pagerduty-incident-to-alert';
import { parsePagerDutyEvent, type PagerDutyIncidentEvent } from '../sources/pagerduty/parse-pagerduty-event';
import type { AppContext } from './context';
import { ingestNotification } from './ingest-notification';
import { recordAudit } from './record-audit';

const RUNE = { actor: 'pagerduty', source: 'rune' };

/**
 * A pending PagerDuty incident: its alerts → labels → rules → jobs (docs/protocols.md §2.7); then it is
 * no longer pending. Never throws: a failed lookup is logged and audited.
 */
export async function matchPendingIncident(
  ctx: AppContext,
  pendingKey: string,
  event: PagerDutyIncidentEvent,
  webhookId: string | null,
): Promise<void> {
  const incident = event.incident.id;
  try {
    const pd = ctx.pagerduty();
    if (!pd) throw new Error('the PagerDuty REST token was removed');
    const found = await findIncidentLabels(incident, {
      getIncidentAlerts: (id) => pd.getIncidentAlerts(id),
      sleep: (ms) => ctx.sleep(ms),
    });
    if (!found) {
      ctx.log.warn({ incident }, 'no host labels found in the PagerDuty incident alerts; nothing to run');
      recordAudit(ctx, RUNE, 'incident-unmatched', `incident ${incident}`, {
        reason: 'no labels found in GET /incidents/{id}/alerts',
      });
    } else {
      await ingestNotification(
        ctx,
        [pagerDutyIncidentToAlert(event, found)],
        { ...RUNE, action: 'incident-matched', target: `incident ${incident}`, details: { from: found.from } },
        { source: 'pagerduty', id: webhookId ?? event.eventId },
      );
    }
    ctx.store.finishPendingIncident(pendingKey);
  } catch (err) {
    if (ctx.stopping.aborted) {
      // Not a failure: the entry stays pending and the next start looks the incident up again.
      ctx.log.info({ incident }, 'PagerDuty incident lookup interrupted by the shutdown: resumed at the next start');
      return;
    }
    ctx.log.error({ err, incident }, 'PagerDuty incident lookup failed: nothing was run for it');
    try {
      const reason = (err as Error).message;
      recordAudit(ctx, RUNE, 'incident-lookup-failed', `incident ${incident}`, { reason });
      ctx.store.finishPendingIncident(pendingKey);
    } catch (storeErr) {
      ctx.log.error(
        { err: storeErr, incident },
        'cannot record the failed lookup; the incident stays pending until the next start',
      );
    }
  }
}

/**
 * After a restart (or a takeover: only `keys`): incidents acknowledged before it whose lookup had
 * not ended are looked up now.
 */
export function resumePendingIncidents(ctx: AppContext, keys?: ReadonlySet<string>): void {
  for (const p of ctx.store.pendingIncidents()) {
    if (keys && !keys.has(p.key)) continue;
    const saved = p.event as { body?: unknown; webhook_id?: string | null };
    const parsed = parsePagerDutyEvent(saved.body);
    if (!parsed.ok || parsed.value.kind !== 'incident') {
      ctx.log.error({ key: p.key }, 'a stored pending PagerDuty incident cannot be read; dropped');
      ctx.store.finishPendingIncident(p.key);
      continue;
    }
    ctx.log.info(
      { incident: parsed.value.incident.id, received_at: p.receivedAt },
      'PagerDuty incident acknowledged before a restart: looking up its alerts now',
    );
    ctx.inBackground(matchPendingIncident(ctx, p.key, parsed.value, saved.webhook_id ?? null));
  }
}
