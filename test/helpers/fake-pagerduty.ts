import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface FakePagerDuty {
  server: Server;
  url: string;
  /** Notes posted (POST /incidents/{id}/notes), with the request headers. */
  notes: { incident: string; content: string; headers: IncomingMessage['headers'] }[];
  /** What GET /incidents/{id}/alerts answers per incident (default: no alerts yet). */
  alerts: Map<string, unknown>;
  /** Incident ids whose alerts were looked up, in order. */
  lookups: string[];
  close(): Promise<void>;
}

/**
 * A local PagerDuty REST API v2 for the real client (docs/protocols.md §3): `Token token=` auth (else
 * 401 code 2006), notes (201), incident alerts, and `GET /incidents?incident_key=` finding one
 * incident `PINC123` per key; anything else 404 code 2100.
 */
export async function startFakePagerDuty(restToken: string): Promise<FakePagerDuty> {
  const notes: FakePagerDuty['notes'] = [];
  const alerts = new Map<string, unknown>();
  const lookups: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      res.setHeader('content-type', 'application/json');
      if (req.headers.authorization !== `Token token=${restToken}`) {
        res.statusCode = 401;
        res.end('{"error":{"message":"Authentication failed","code":2006}}');
        return;
      }
      const m = /^\/incidents\/([^/]+)\/(notes|alerts)$/.exec(url.pathname);
      const incident = m ? decodeURIComponent(m[1] as string) : '';
      if (req.method === 'POST' && m && m[2] === 'notes') {
        notes.push({
          incident,
          content: (JSON.parse(body) as { note: { content: string } }).note.content,
          headers: req.headers,
        });
        res.statusCode = 201;
        res.end(JSON.stringify({ note: { id: `N${notes.length}`, content: 'x' } }));
      } else if (req.method === 'GET' && m && m[2] === 'alerts') {
        lookups.push(incident);
        res.end(JSON.stringify(alerts.get(incident) ?? { alerts: [], more: false }));
      } else if (req.method === 'GET' && url.pathname === '/incidents') {
        const key = url.searchParams.get('incident_key');
        res.end(
          JSON.stringify({
            incidents: key
              ? [
                  {
                    id: 'PINC123',
                    type: 'incident',
                    html_url: 'https://example.pagerduty.com/incidents/PINC123',
                    incident_key: key,
                  },
                ]
              : [],
            more: false,
          }),
        );
      } else {
        res.statusCode = 404;
        res.end('{"error":{"message":"Not Found","code":2100}}');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    notes,
    alerts,
    lookups,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
