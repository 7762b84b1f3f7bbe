import { fixtureJson } from './fixtures';
import { startFakeServer, type FakeServer, type Recorded, type Reply } from './fake-http-server';

export interface FakeIncident {
  id: string;
  incident_key: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
}

/** How the fake answers one note POST: a scripted reply, or `'hold'` (it lands when the test releases it). */
export type NoteReply = Reply | 'hold';

export interface FakePagerDutyOptions {
  /** The REST API token RUNE must send (`Authorization: Token token=…`); anything else is 401 code 2006. */
  token: string;
  /** The `From` header every note must carry (the rules' notify.pagerduty.from). */
  from: string;
  /** What `GET /incidents?incident_key=…&statuses[]=…` finds. */
  incidents?: FakeIncident[];
  /** What `GET /incidents/{id}/alerts` answers per incident id (default: no alerts yet). */
  alerts?: Record<string, unknown>;
  /** The first requests, whatever they are, get these answers instead (`'route'`: behave normally). */
  script?: (Reply | 'route')[];
  /** Per incident (raw path segment), how its next note POSTs are answered; then normally. */
  noteReplies?: Record<string, NoteReply[]>;
  /** Status of an accepted note (PagerDuty says 201). */
  noteStatus?: number;
}

export interface FakePagerDuty extends FakeServer {
  /** Notes that landed: one per accepted POST /incidents/{id}/notes (`incidentPath` as sent, still encoded). */
  notes: { incidentPath: string; content: string }[];
  /** Requests whose headers were not exactly docs/protocols.md §3.1's (answered 400). */
  headerProblems: string[];
  /** What GET /incidents/{id}/alerts answers; a test may change it between requests. */
  alerts: Map<string, unknown>;
  /** Incident ids whose alerts were looked up, in order. */
  lookups: string[];
  /** Release functions of the notes held by a `'hold'` reply, in arrival order. */
  held: (() => void)[];
}

/** A PagerDuty REST error body (docs/protocols.md §3.2) as a Reply. */
export function pagerDutyError(
  status: number,
  message: string,
  code: number,
  o: { errors?: string[]; headers?: Record<string, string> } = {},
): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json', ...o.headers },
    body: JSON.stringify({ error: { message, code, ...(o.errors ? { errors: o.errors } : {}) } }),
  };
}

/**
 * The one local PagerDuty REST API v2 of the tests, speaking the documented wire format
 * (docs/protocols.md §3): it checks the exact headers, records notes, lists incidents by
 * incident_key and statuses[], serves each incident's alerts; answers can be scripted (errors,
 * 429s, hanging or held requests) to show what RUNE does when PagerDuty misbehaves.
 */
export async function startFakePagerDuty(opts: FakePagerDutyOptions): Promise<FakePagerDuty> {
  const notes: FakePagerDuty['notes'] = [];
  const headerProblems: string[] = [];
  const alerts = new Map<string, unknown>(Object.entries(opts.alerts ?? {}));
  const lookups: string[] = [];
  const held: (() => void)[] = [];
  const script = [...(opts.script ?? [])];
  const noteReplies = new Map(Object.entries(opts.noteReplies ?? {}).map(([k, v]) => [k, [...v]]));
  const incidentExample = fixtureJson<{ incident: Record<string, unknown> }>(
    'pagerduty/openapi-rest-get-incident.response.json',
  ).incident;
  const noteExample = fixtureJson<{ note: Record<string, unknown> }>(
    'pagerduty/openapi-rest-create-note.response.json',
  ).note;

  const json = (status: number, body: unknown): Reply => ({
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const invalid = (errors: string[]) => pagerDutyError(400, 'Invalid Input Provided', 2001, { errors });

  function landNote(incidentPath: string, req: Recorded): Reply {
    const body = JSON.parse(req.body.toString('utf8')) as { note?: { content?: unknown } };
    if (typeof body.note?.content !== 'string') return invalid(['Note content is required']);
    notes.push({ incidentPath, content: body.note.content });
    return json(opts.noteStatus ?? 201, {
      note: { ...noteExample, id: `N${notes.length}`, content: body.note.content },
    });
  }

  function route(req: Recorded): Reply | Promise<Reply> {
    const problems: string[] = [];
    if (req.headers['authorization'] !== `Token token=${opts.token}`)
      return pagerDutyError(401, 'Authentication failed', 2006);
    if (req.headers['accept'] !== 'application/vnd.pagerduty+json;version=2')
      problems.push(`accept: ${req.headers['accept']}`);
    const url = new URL(req.url, 'http://fake');
    const noteMatch = /^\/incidents\/([^/]+)\/notes$/.exec(url.pathname);
    if (req.method === 'POST' && noteMatch) {
      if (req.headers['content-type'] !== 'application/json')
        problems.push(`content-type: ${req.headers['content-type']}`);
      if (req.headers['from'] !== opts.from) problems.push(`from: ${req.headers['from']}`);
      if (problems.length > 0) {
        headerProblems.push(...problems);
        return invalid(problems);
      }
      const incidentPath = noteMatch[1] as string;
      const next = noteReplies.get(incidentPath)?.shift();
      if (next === 'hold')
        return new Promise<Reply>((resolve) => held.push(() => resolve(landNote(incidentPath, req))));
      return next ?? landNote(incidentPath, req);
    }
    if (problems.length > 0) {
      headerProblems.push(...problems);
      return invalid(problems);
    }
    if (req.method === 'GET' && url.pathname === '/incidents') {
      const key = url.searchParams.get('incident_key');
      const statuses = url.searchParams.getAll('statuses[]');
      const found = (opts.incidents ?? []).filter(
        (i) => (key === null || i.incident_key === key) && (statuses.length === 0 || statuses.includes(i.status)),
      );
      const incidents = found.map((i) => ({
        ...incidentExample,
        id: i.id,
        self: `https://api.pagerduty.com/incidents/${i.id}`,
        html_url: `https://subdomain.pagerduty.com/incidents/${i.id}`,
        incident_key: i.incident_key,
        status: i.status,
      }));
      return json(200, { incidents, limit: 25, offset: 0, more: false, total: null });
    }
    const alertsMatch = /^\/incidents\/([^/]+)\/alerts$/.exec(url.pathname);
    if (req.method === 'GET' && alertsMatch) {
      const id = decodeURIComponent(alertsMatch[1] as string);
      lookups.push(id);
      return json(200, alerts.get(id) ?? { alerts: [], limit: 25, offset: 0, more: false, total: null });
    }
    return pagerDutyError(404, 'Not Found', 2100);
  }

  const server = await startFakeServer((req) => {
    const next = script.shift();
    return next === undefined || next === 'route' ? route(req) : next;
  });
  return Object.assign(server, { notes, headerProblems, alerts, lookups, held });
}
