import { fixtureJson } from '../../helpers/fixtures';
import { startFakeServer, type FakeServer, type Recorded, type Reply } from './fake-server';

export interface FakeIncident {
  id: string;
  incident_key: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
}

export interface FakePagerDuty extends FakeServer {
  /** Notes that landed: one per accepted POST /incidents/{id}/notes. */
  notes: { incidentPath: string; content: string }[];
  /** Requests whose headers were not exactly docs/protocols.md §3.1's. */
  headerProblems: string[];
}

/**
 * A fake PagerDuty REST API speaking the documented wire format (docs/protocols.md §3): it checks the
 * exact headers, records notes, lists incidents by incident_key and statuses[], serves the
 * OpenAPI alerts example. `script` answers the first requests instead (`'route'` = behave normally).
 */
export async function startFakePagerDuty(opts: {
  token: string;
  from: string;
  incidents?: FakeIncident[];
  script?: (Reply | 'route')[];
  noteStatus?: number;
}): Promise<FakePagerDuty> {
  const notes: FakePagerDuty['notes'] = [];
  const headerProblems: string[] = [];
  const script = [...(opts.script ?? [])];
  const incidentExample = fixtureJson<{ incident: Record<string, unknown> }>(
    'pagerduty/openapi-rest-get-incident.response.json',
  ).incident;
  const noteExample = fixtureJson<{ note: Record<string, unknown> }>(
    'pagerduty/openapi-rest-create-note.response.json',
  ).note;
  const alertsExample = fixtureJson<unknown>('pagerduty/openapi-rest-list-incident-alerts.response.json');

  const json = (status: number, body: unknown): Reply => ({
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

  function route(req: Recorded): Reply {
    const problems: string[] = [];
    if (req.headers['authorization'] !== `Token token=${opts.token}`) {
      return json(401, { error: { message: 'Authentication failed', code: 2006 } });
    }
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
        return json(400, { error: { message: 'Invalid Input Provided', code: 2001, errors: problems } });
      }
      const body = JSON.parse(req.body.toString('utf8')) as { note?: { content?: unknown } };
      if (typeof body.note?.content !== 'string')
        return json(400, {
          error: { message: 'Invalid Input Provided', code: 2001, errors: ['Note content is required'] },
        });
      notes.push({ incidentPath: noteMatch[1] as string, content: body.note.content });
      return json(opts.noteStatus ?? 201, {
        note: { ...noteExample, id: `N${notes.length}`, content: body.note.content },
      });
    }
    if (problems.length > 0) {
      headerProblems.push(...problems);
      return json(400, { error: { message: 'Invalid Input Provided', code: 2001, errors: problems } });
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
    if (req.method === 'GET' && /^\/incidents\/[^/]+\/alerts$/.test(url.pathname)) return json(200, alertsExample);
    return json(404, { error: { message: 'Not Found', code: 2100 } });
  }

  const server = await startFakeServer((req) => {
    const next = script.shift();
    return next === undefined || next === 'route' ? route(req) : next;
  });
  return Object.assign(server, { notes, headerProblems });
}
