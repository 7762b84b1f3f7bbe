import { isJsonObject } from '../is-json-object';

export type PagerDutyIncidentStatus = 'triggered' | 'acknowledged' | 'resolved';

/** An `incident.*` event whose `data.type` is `incident` (docs/protocols.md §2.1). */
export interface PagerDutyIncidentEvent {
  kind: 'incident';
  eventId: string;
  eventType: string;
  occurredAt: string;
  incident: {
    id: string;
    url?: string;
    title?: string;
    /** Absent when PagerDuty sends a status this version does not know. */
    status?: PagerDutyIncidentStatus;
    /** null for incidents made by an Events API v2 integration (§2.1). */
    incidentKey: string | null;
    createdAt?: string;
    serviceName?: string;
  };
}

/** Any other event: notes, tasks, workflows, services… with the incident id when there is one. */
export interface PagerDutyOtherEvent {
  kind: 'other';
  eventId: string;
  eventType: string;
  incidentId?: string;
}

/** One PagerDuty v3 webhook event (§2.1, §2.4); `ping` is "send test event". */
export type PagerDutyEvent = { kind: 'ping'; eventId: string } | PagerDutyIncidentEvent | PagerDutyOtherEvent;

export type ParsePagerDutyEventResult = { ok: true; value: PagerDutyEvent } | { ok: false; problems: string[] };

const STATUSES: ReadonlySet<string> = new Set(['triggered', 'acknowledged', 'resolved']);

/**
 * Reads a v3 webhook body (already JSON-parsed, signature already checked). Only what RUNE
 * cannot work without is a problem: a rejected delivery is dropped for good and three in a row
 * disable the subscription (§2.5), so anything else unexpected is tolerated.
 */
export function parsePagerDutyEvent(body: unknown): ParsePagerDutyEventResult {
  if (!isJsonObject(body) || !isJsonObject(body.event)) {
    return { ok: false, problems: ['event: must be an object (PagerDuty v3 envelope {"event": {…}})'] };
  }
  const event = body.event;
  const problems: string[] = [];
  const eventId = requiredString(event.id, 'event.id', problems);
  const eventType = requiredString(event.event_type, 'event.event_type', problems);
  if (problems.length > 0) return { ok: false, problems };

  if (eventType === 'pagey.ping') return { ok: true, value: { kind: 'ping', eventId } };

  const data = isJsonObject(event.data) ? event.data : undefined;
  // resource_type can say "incident" while data.type is incident_note (§2.1): data.type decides.
  if (eventType.startsWith('incident.') && data?.type === 'incident') {
    const id = requiredString(data.id, 'event.data.id', problems);
    const occurredAt = requiredString(event.occurred_at, 'event.occurred_at', problems);
    if (problems.length > 0) return { ok: false, problems };
    const incident: PagerDutyIncidentEvent['incident'] = {
      id,
      incidentKey: typeof data.incident_key === 'string' && data.incident_key !== '' ? data.incident_key : null,
    };
    if (typeof data.html_url === 'string') incident.url = data.html_url;
    if (typeof data.title === 'string') incident.title = data.title;
    if (typeof data.status === 'string' && STATUSES.has(data.status))
      incident.status = data.status as PagerDutyIncidentStatus;
    if (typeof data.created_at === 'string') incident.createdAt = data.created_at;
    if (isJsonObject(data.service) && typeof data.service.summary === 'string')
      incident.serviceName = data.service.summary;
    return { ok: true, value: { kind: 'incident', eventId, eventType, occurredAt, incident } };
  }

  const other: PagerDutyOtherEvent = { kind: 'other', eventId, eventType };
  const incidentId = data === undefined ? undefined : incidentIdOf(data);
  if (incidentId !== undefined) other.incidentId = incidentId;
  return { ok: true, value: other };
}

/** Where the incident id sits in a non-`incident` data object (§2.4). */
function incidentIdOf(data: Record<string, unknown>): string | undefined {
  // Not data.id: for incident_note, incident_task and others that is the sub-resource's own id.
  if (isJsonObject(data.incident) && isNonEmptyString(data.incident.id)) return data.incident.id;
  if (Array.isArray(data.incident_role_assignments)) {
    const first: unknown = data.incident_role_assignments[0];
    if (isJsonObject(first) && isJsonObject(first.incident) && isNonEmptyString(first.incident.id))
      return first.incident.id;
  }
  return undefined;
}

function requiredString(value: unknown, path: string, problems: string[]): string {
  if (isNonEmptyString(value)) return value;
  problems.push(`${path}: must be a non-empty string`);
  return '';
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
