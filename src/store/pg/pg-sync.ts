import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

/** What one statement returned. */
export interface PgReply {
  rows: Record<string, unknown>[];
  changes: number;
}

/** A PostgreSQL error as the worker saw it: its SQLSTATE (`code`), or a connection failure. */
export class PgError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
    /** The connection is gone or could not be made (the store is unavailable, not the statement wrong). */
    readonly connection: boolean,
  ) {
    super(message);
  }
}

export interface PgSyncOptions {
  url: string;
  /** The password, when it is kept apart from the URL (RUNE_DB_PASSWORD_FILE). */
  password?: string;
  /** Longest wait for one statement, connecting included (ms). */
  timeoutMs: number;
}

export interface PgSync {
  query(sql: string, params: readonly unknown[]): PgReply;
  close(): void;
}

/**
 * The worker: one `pg` client, reconnected when its connection is lost. Kept as source text (run
 * with `eval`), so the same file serves from `src/` under jest and from `dist/`.
 */
const WORKER = `
const { workerData } = require('node:worker_threads');
const pg = require(workerData.pgPath);
const { port, flag, url, timeoutMs } = workerData;
pg.types.setTypeParser(20, (v) => Number(v)); // int8: epoch ms and counts fit a double
const CONNECTION = /^(08|57P0[123])/; // connection exceptions, admin shutdown, crash, cannot connect now
let client = null;
let connecting = null;
function connect() {
  if (client) return Promise.resolve(client);
  connecting ??= (async () => {
    const c = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      keepAlive: true,
      application_name: 'rune',
    });
    c.on('error', () => { if (client === c) client = null; });
    try { await c.connect(); } catch (err) { c.end().catch(() => {}); throw err; }
    client = c;
    return c;
  })().finally(() => { connecting = null; });
  return connecting;
}
function reply(message) {
  port.postMessage(message);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
}
let chain = Promise.resolve();
const names = new Map();
port.on('message', (m) => {
  if (m.close) {
    chain = chain.then(async () => {
      if (client) await client.end().catch(() => {});
      client = null;
      reply({ id: m.id, rows: [], changes: 0 });
    });
    return;
  }
  chain = chain.then(async () => {
    try {
      const c = await connect();
      // Statements with parameters are prepared once per connection (pg re-prepares after a reconnect).
      let name;
      if (m.params.length > 0) {
        name = names.get(m.sql);
        if (name === undefined) names.set(m.sql, (name = 'rune_' + names.size));
      }
      const query = { text: m.sql, values: m.params };
      const r = await c.query(name === undefined ? query : { ...query, name });
      reply({ id: m.id, rows: r.rows ?? [], changes: r.rowCount ?? 0 });
    } catch (err) {
      const code = typeof err.code === 'string' ? err.code : null;
      const connection = code === null || !/^[0-9A-Z]{5}$/.test(code) || CONNECTION.test(code);
      if (connection && client) { client.end().catch(() => {}); client = null; }
      reply({ id: m.id, error: { message: err.message || String(err), code, connection } });
    }
  });
});
`;

/**
 * PostgreSQL behind a synchronous call, as better-sqlite3 is: the store's contract is synchronous
 * (docs/architecture.md, State), so a worker thread owns the `pg` client and the caller waits on a
 * shared counter (Atomics.wait) for each reply. One statement at a time, in order: a transaction's
 * statements cannot interleave with any other caller's. A statement that has no answer within
 * `timeoutMs` (database gone, network cut) fails with a connection PgError, which the callers
 * treat as "store unavailable" (503 to webhooks, retried by the job queue).
 */
export function openPgSync(o: PgSyncOptions): PgSync {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      pgPath: require.resolve('pg'),
      port: port2,
      flag,
      url: withPassword(o.url, o.password),
      timeoutMs: o.timeoutMs,
    },
    transferList: [port2],
  });
  worker.unref();
  let seq = 0;
  let closed = false;

  const call = (message: Record<string, unknown>, waitMs: number): PgReply => {
    if (closed) throw new PgError('the database connection is closed', null, true);
    const id = ++seq;
    port1.postMessage({ ...message, id });
    const deadline = Date.now() + waitMs;
    for (;;) {
      // Read the counter before looking for the reply: a reply posted after this look wakes the wait.
      const seen = Atomics.load(flag, 0);
      const got = receiveMessageOnPort(port1 as MessagePort) as
        { message: { id: number; rows: Record<string, unknown>[]; changes: number; error?: PgErrorShape } } | undefined;
      if (got) {
        if (got.message.id !== id) continue; // the late reply of a statement that timed out
        const { error } = got.message;
        if (error) throw new PgError(error.message, error.code, error.connection);
        return { rows: got.message.rows, changes: got.message.changes };
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new PgError(`the database did not answer within ${waitMs} ms`, null, true);
      Atomics.wait(flag, 0, seen, left);
    }
  };

  return {
    // The worker's own timeouts (connect, query) come first; this bound only catches a stuck worker.
    query: (sql, params) => call({ sql, params }, o.timeoutMs * 2 + 1000),
    close() {
      if (closed) return;
      try {
        call({ close: true }, 2000);
      } catch {
        // closing anyway
      }
      closed = true;
      port1.close();
      void worker.terminate();
    },
  };
}

/** The URL with the password put in (pg reads it from the connection string before any option). */
function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  try {
    const u = new URL(url);
    u.password = encodeURIComponent(password);
    return u.toString();
  } catch {
    return url; // pg reports the malformed URL itself
  }
}

interface PgErrorShape {
  message: string;
  code: string | null;
  connection: boolean;
}
