import { request } from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/**
 * One HTTP request from a chosen loopback source address (`from`, e.g. 127.0.0.7), so tests can
 * act as several clients: the server sees that address as the request's source.
 */
export function httpCall(
  baseUrl: string,
  method: string,
  path: string,
  o: {
    token?: string;
    authorization?: string;
    body?: unknown;
    rawBody?: Buffer;
    headers?: Record<string, string>;
    from?: string;
  } = {},
): Promise<HttpAnswer> {
  const url = new URL(path, baseUrl);
  const payload = o.rawBody ?? (o.body !== undefined ? Buffer.from(JSON.stringify(o.body)) : undefined);
  const headers: Record<string, string> = { ...o.headers };
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  if (o.authorization !== undefined) headers.authorization = o.authorization;
  if (payload) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        headers,
        ...(o.from ? { localAddress: o.from } : {}),
        timeout: 20_000,
        // Its own connection, closed after the answer: no keep-alive socket of Node's global agent
        // outlives the test (it kept jest running 5 s after a failed test closed its server).
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let body: any = text;
          try {
            body = text ? JSON.parse(text) : null;
          } catch {
            /* text */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}
