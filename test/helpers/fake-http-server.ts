import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeTracked } from './live-resources';

/** One request as the server saw it: raw path, headers, the exact body bytes, and when it came. */
export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Date.now() when the body had arrived. */
  at: number;
}

/**
 * What the fake does with a request: answer, never answer, or drop the connection. `neverEnds`
 * sends the head and the body so far, then nothing (a response that stalls half-way).
 */
export type Reply =
  { status: number; headers?: Record<string, string>; body?: string; neverEnds?: boolean } | 'hang' | 'destroy';

export interface FakeServer {
  url: string;
  requests: Recorded[];
  /** Closes every connection (hanging requests included) and the server; idempotent. */
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1, port 0, answering with `handler` (the stand-in for Slack, a
 * generic webhook receiver, PagerDuty: see fake-pagerduty.ts). A handler may answer later by
 * returning a promise (a request the test holds and releases).
 */
export async function startFakeServer(handler: (req: Recorded) => Reply | Promise<Reply>): Promise<FakeServer> {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: Recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        at: Date.now(),
      };
      requests.push(rec);
      void Promise.resolve()
        .then(() => handler(rec))
        .then(
          (reply) => {
            if (reply === 'hang') return;
            if (reply === 'destroy') {
              req.socket.destroy();
              return;
            }
            res.writeHead(reply.status, reply.headers ?? {});
            if (reply.neverEnds) res.write(reply.body ?? '');
            else res.end(reply.body ?? '');
          },
          (err: unknown) => {
            // A handler bug shows as a 500 naming it, not as a request that never ends.
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`fake server handler failed: ${(err as Error).message}`);
          },
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | null = null;
  return {
    url,
    requests,
    close: closeTracked(`fake HTTP server ${url}`, () => {
      closing ??= new Promise<void>((resolve) => {
        server.closeAllConnections(); // hanging requests included
        server.close(() => resolve());
      });
      return closing;
    }),
  };
}

/** A URL where nothing listens: a server started, then closed. */
export async function closedServerUrl(): Promise<string> {
  const s = await startFakeServer(() => ({ status: 200 }));
  await s.close();
  return s.url;
}

/** An injectable sleep that records each wait and returns at once. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}
