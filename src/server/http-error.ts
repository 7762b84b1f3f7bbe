import { ERROR_CATALOGUE, isRuneError } from '../errors';

/** An error that becomes an HTTP response with a JSON body naming what is wrong (never a crash). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** better-sqlite3 error codes that mean "cannot write now", not a bug (https://www.sqlite.org/rescode.html). */
const STORE_DOWN = /^SQLITE_(FULL|IOERR|READONLY|BUSY|LOCKED|CANTOPEN)/;

/** The one place RUNE's errors get an HTTP status (docs/architecture.md: mapping in the error handler only). */
export function httpStatusFor(err: unknown): {
  status: number;
  code: string;
  message: string;
  details: Record<string, unknown>;
} {
  if (err instanceof HttpError)
    return { status: err.status, code: err.code, message: err.message, details: err.details };
  if (isRuneError(err)) {
    const stage = ERROR_CATALOGUE[err.code].stage;
    const status = err.code === 'INTERNAL' ? 500 : stage === 'validate' ? 400 : 502;
    return { status, code: err.code, message: err.message, details: err.details };
  }
  // express.raw's own errors carry status/type (body too large, bad encoding, aborted).
  const e = err as { status?: number; type?: string; message?: string; limit?: number; code?: unknown };
  // SQLite could not write (disk full, read-only or failing disk, locked too long): nothing was
  // stored, so the sender must retry; Alertmanager and PagerDuty retry a 5xx (docs/protocols.md §1.1, §2.5).
  if (e && typeof e.code === 'string' && STORE_DOWN.test(e.code)) {
    return {
      status: 503,
      code: 'STORE_UNAVAILABLE',
      message: `the database cannot store this request right now (${e.code}); nothing was accepted, retry later`,
      details: {},
    };
  }
  if (e && e.type === 'entity.too.large')
    return {
      status: 413,
      code: 'BODY_TOO_LARGE',
      message: `request body is larger than the limit of ${e.limit ?? '?'} bytes`,
      details: {},
    };
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500)
    return { status: e.status, code: 'BAD_REQUEST', message: e.message ?? 'bad request', details: {} };
  return { status: 500, code: 'INTERNAL', message: 'internal error; see the server log', details: {} };
}
