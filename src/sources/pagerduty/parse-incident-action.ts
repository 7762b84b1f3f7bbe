import { isJsonObject } from '../is-json-object';

/** A click on a Custom Incident Action (docs/protocols.md §2.8): which incident, and who clicked. */
export interface IncidentAction {
  /** The v2 message id (used for dedup when X-Webhook-Id is missing). */
  messageId: string;
  incident: { id: string; url?: string; title?: string; createdAt?: string };
  /** The PagerDuty user who pressed the button (`log_entries[].agent` of the custom_log_entry). */
  agent: { id: string | null; summary: string } | null;
  createdOn: string | null;
}

export type ParseIncidentActionResult =
  | { ok: true; value: IncidentAction }
  /** A well-formed v2 envelope with no `incident.custom` message (e.g. a generic v2 webhook pointed here). */
  | { ok: true; ignored: string[] }
  | { ok: false; problems: string[] };

/**
 * Reads the legacy v2 envelope `{"messages": [{"id", "event": "incident.custom", "incident": {…},
 * "log_entries": [{"type": "custom_log_entry", "agent": {…}}]}]}` (docs/protocols.md §2.8; PD-DOCS
 * 09-V2-Overview). One click sends one message; the first `incident.custom` message is taken.
 */
export function parseIncidentAction(body: unknown): ParseIncidentActionResult {
  if (!isJsonObject(body) || !Array.isArray(body.messages))
    return { ok: false, problems: ['messages: must be an array (PagerDuty v2 envelope {"messages": [{…}]})'] };
  if (body.messages.length === 0) return { ok: false, problems: ['messages: is empty'] };
  const events: string[] = [];
  for (const [i, m] of body.messages.entries()) {
    if (!isJsonObject(m)) return { ok: false, problems: [`messages[${i}]: must be an object`] };
    if (typeof m.event !== 'string' || m.event === '')
      return { ok: false, problems: [`messages[${i}].event: must be a non-empty string`] };
    if (m.event !== 'incident.custom') {
      events.push(m.event);
      continue;
    }
    const problems: string[] = [];
    const messageId = typeof m.id === 'string' && m.id !== '' ? m.id : '';
    if (!messageId) problems.push(`messages[${i}].id: must be a non-empty string`);
    const inc = isJsonObject(m.incident) ? m.incident : null;
    if (!inc) problems.push(`messages[${i}].incident: must be an object`);
    const id = inc && typeof inc.id === 'string' && /^[A-Za-z0-9]{1,64}$/.test(inc.id) ? inc.id : '';
    if (inc && !id) problems.push(`messages[${i}].incident.id: must be a PagerDuty id (letters and digits)`);
    if (problems.length > 0 || !inc) return { ok: false, problems };
    const incident: IncidentAction['incident'] = { id };
    if (typeof inc.html_url === 'string') incident.url = inc.html_url;
    if (typeof inc.title === 'string') incident.title = inc.title;
    if (typeof inc.created_at === 'string') incident.createdAt = inc.created_at;
    return {
      ok: true,
      value: {
        messageId,
        incident,
        agent: agentOf(m.log_entries),
        createdOn: typeof m.created_on === 'string' ? m.created_on : null,
      },
    };
  }
  return { ok: true, ignored: events };
}

/** The clicking user: the custom_log_entry's agent, else any log entry's agent. */
function agentOf(entries: unknown): IncidentAction['agent'] {
  if (!Array.isArray(entries)) return null;
  const objects = entries.filter(isJsonObject);
  const entry =
    objects.find((e) => e.type === 'custom_log_entry' && isJsonObject(e.agent)) ??
    objects.find((e) => isJsonObject(e.agent));
  const agent = entry && isJsonObject(entry.agent) ? entry.agent : null;
  if (!agent) return null;
  const summary =
    typeof agent.summary === 'string' && agent.summary.trim() !== ''
      ? agent.summary.trim().slice(0, 200)
      : typeof agent.id === 'string'
        ? agent.id
        : 'unknown user';
  return { id: typeof agent.id === 'string' ? agent.id : null, summary };
}
