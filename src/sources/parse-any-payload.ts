import type { Alert } from '../core/types';
import { parseAlertmanagerPayload } from './alertmanager/parse-alertmanager-payload';
import { isJsonObject } from './is-json-object';
import { parseBareAlerts } from './parse-bare-alerts';
import { findIncidentLabels } from './pagerduty/find-incident-labels';
import { pagerDutyIncidentToAlert } from './pagerduty/pagerduty-incident-to-alert';
import { parsePagerDutyEvent } from './pagerduty/parse-pagerduty-event';

/** What a payload given to `rune rules test` turned out to be. */
export type PayloadKind = 'alertmanager' | 'pagerduty-event' | 'pagerduty-alerts' | 'alert';

export interface UnderstoodPayload {
  kind: PayloadKind;
  /** The alerts RUNE would match, exactly as the webhook path builds them (may be empty). */
  alerts: Alert[];
  /** What the reader should know: warnings of the parser, why a payload carries no alerts. */
  notes: string[];
}

export type ParseAnyPayloadResult = { ok: true; value: UnderstoodPayload } | { ok: false; problems: string[] };

/**
 * Recognizes a payload by its shape and turns it into Alerts with the service's own parsers:
 * an Alertmanager v4 webhook body, a PagerDuty v3 webhook, a PagerDuty "list incident alerts"
 * response (`{alerts: […]}` or a bare array, what GET /incidents/{id}/alerts answers), or bare
 * alerts `{labels, …}` (one or an array). `now` is the startsAt of bare alerts that give none.
 */
export async function parseAnyPayload(body: unknown, now: string): Promise<ParseAnyPayloadResult> {
  const items = Array.isArray(body)
    ? body
    : isJsonObject(body) && Array.isArray(body.alerts)
      ? (body.alerts as unknown[])
      : null;
  const pagerDutyAlerts =
    items !== null &&
    items.length > 0 &&
    items.every((a) => isJsonObject(a) && (a.type === 'alert' || isJsonObject(a.body)) && a.labels === undefined);
  if (pagerDutyAlerts) return { ok: true, value: await fromIncidentAlerts(body, items) };
  if (Array.isArray(body) || (isJsonObject(body) && body.labels !== undefined)) {
    const parsed = parseBareAlerts(body, now);
    return parsed.ok ? { ok: true, value: { kind: 'alert', alerts: parsed.alerts, notes: [] } } : parsed;
  }
  if (!isJsonObject(body))
    return {
      ok: false,
      problems: [
        '(root): not a JSON object or array; ' +
          'expected an Alertmanager webhook, a PagerDuty webhook or alerts list, or {"labels": {…}}',
      ],
    };
  if (body.event !== undefined) return fromPagerDutyEvent(body);
  if (body.event_action !== undefined || body.routing_key !== undefined) {
    return {
      ok: false,
      problems: [
        'this is a PagerDuty Events API v2 event (what Alertmanager sends to PagerDuty), ' +
          'not a webhook RUNE receives: give the Alertmanager webhook body, ' +
          'or GET /incidents/{id}/alerts of the incident it opened',
      ],
    };
  }
  if (body.alerts !== undefined) {
    const parsed = parseAlertmanagerPayload(body);
    if (!parsed.ok) return { ok: false, problems: parsed.problems.map((p) => `Alertmanager payload: ${p}`) };
    return { ok: true, value: { kind: 'alertmanager', alerts: parsed.value.alerts, notes: parsed.warnings } };
  }
  return {
    ok: false,
    problems: [
      '(root): not a payload RUNE knows: expected an Alertmanager webhook ({"alerts": […]}), ' +
        'a PagerDuty v3 webhook ({"event": …}), a PagerDuty alerts list, or {"labels": {…}}',
    ],
  };
}

function fromPagerDutyEvent(body: Record<string, unknown>): ParseAnyPayloadResult {
  const parsed = parsePagerDutyEvent(body);
  if (!parsed.ok) return { ok: false, problems: parsed.problems.map((p) => `PagerDuty v3 webhook: ${p}`) };
  const e = parsed.value;
  if (e.kind === 'incident' && ['incident.triggered', 'incident.resolved'].includes(e.eventType)) {
    const id = e.incident.id;
    return notesOnly([
      `PagerDuty ${e.eventType} for incident ${id}: ` +
        'a v3 webhook carries no alert labels, so there is nothing to match in it alone.',
      `RUNE reads the labels from GET /incidents/${id}/alerts; capture that answer and test it instead:`,
      `  curl -s -H "Authorization: Token token=$RUNE_PAGERDUTY_TOKEN" https://api.pagerduty.com/incidents/${id}/alerts > alerts.json && rune rules test alerts.json`,
    ]);
  }
  const type = e.kind === 'ping' ? 'pagey.ping' : e.eventType;
  return notesOnly([
    `PagerDuty ${type}: RUNE ignores this event type (only incident.triggered and incident.resolved run rules)`,
  ]);
}

/**
 * The alerts list of an incident, read by the service's own findIncidentLabels (one attempt, no
 * wait): its first alert with host labels becomes the one Alert RUNE would match, as on the
 * webhook path. The alert's own status says firing or resolved.
 */
async function fromIncidentAlerts(body: unknown, items: unknown[]): Promise<UnderstoodPayload> {
  const first = items.find(isJsonObject) as Record<string, unknown>;
  const incident =
    isJsonObject(first.incident) && typeof first.incident.id === 'string'
      ? first.incident.id
      : typeof first.id === 'string'
        ? first.id
        : 'unknown';
  const found = await findIncidentLabels(incident, {
    getIncidentAlerts: async () => body,
    sleep: async () => undefined,
    attempts: 1,
  });
  if (!found) {
    return {
      kind: 'pagerduty-alerts',
      alerts: [],
      notes: [
        `PagerDuty alerts of incident ${incident}: no host labels found in ${items.length} alert(s), ` +
          'so RUNE would run nothing for this incident.',
        'RUNE looks for instance, instance_id or nodename in body.details ' +
          '(set them in pagerduty_configs.details), then the labels of body.details.firing, ' +
          'then body.cef_details.source_origin (docs/api.md, PagerDuty webhook).',
      ],
    };
  }
  const status = typeof first.status === 'string' ? first.status : 'triggered';
  const createdAt = typeof first.created_at === 'string' ? first.created_at : new Date(0).toISOString();
  const alert = pagerDutyIncidentToAlert(
    {
      kind: 'incident',
      eventId: '(rune rules test)',
      eventType: status === 'resolved' ? 'incident.resolved' : 'incident.triggered',
      occurredAt: createdAt,
      incident: {
        id: incident,
        incidentKey: null,
        createdAt,
        ...(status === 'resolved' ? { status: 'resolved' as const } : { status: 'triggered' as const }),
      },
    },
    found,
  );
  return {
    kind: 'pagerduty-alerts',
    alerts: [alert],
    notes: [
      `PagerDuty alerts of incident ${incident}: labels from ${found.from}; ` +
        `status ${alert.status} (from the alert's status ${status})`,
    ],
  };
}

/** A PagerDuty event with nothing to match in it: what to do instead, in words. */
function notesOnly(notes: string[]): ParseAnyPayloadResult {
  return { ok: true, value: { kind: 'pagerduty-event', alerts: [], notes } };
}
