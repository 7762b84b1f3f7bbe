import { ERROR_CATALOGUE, isRuneError, type ErrorCode } from '../core/errors';
import { isStoreUnavailable } from '../store/store-unavailable';

/** An error as a request's answer: the catalogue's status and code, and a message naming what is wrong. */
export interface HttpErrorView {
  status: number;
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
}

/**
 * The one place errors get an HTTP status (docs/architecture.md 6): a RuneError's from the
 * catalogue (src/core/errors.ts); Express's own body errors and SQLite's "cannot write now" mapped
 * to their codes; anything else is INTERNAL, and its message stays in the log.
 */
export function httpErrorView(err: unknown): HttpErrorView {
  if (isRuneError(err)) {
    return { status: ERROR_CATALOGUE[err.code].http, code: err.code, message: err.message, details: err.details };
  }
  // express.raw's own errors carry status/type (body too large, bad encoding, aborted).
  const e = err as { status?: number; type?: string; message?: string; limit?: number; code?: unknown };
  // The database could not write (disk full, PostgreSQL unreachable): nothing was stored, so the
  // sender must retry; Alertmanager and PagerDuty retry a 5xx (docs/protocols.md §1.1, §2.5).
  if (isStoreUnavailable(err)) {
    const why = err.code ?? err.message;
    const message = `the database cannot store this request right now (${why}); nothing was accepted, retry later`;
    return view('STORE_UNAVAILABLE', message);
  }
  if (e && e.type === 'entity.too.large') {
    return view('BODY_TOO_LARGE', `request body is larger than the limit of ${e.limit ?? '?'} bytes`);
  }
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return { ...view('BAD_REQUEST', e.message ?? 'bad request'), status: e.status };
  }
  return view('INTERNAL', 'internal error; see the server log');
}

function view(code: ErrorCode, message: string): HttpErrorView {
  return { status: ERROR_CATALOGUE[code].http, code, message, details: {} };
}
