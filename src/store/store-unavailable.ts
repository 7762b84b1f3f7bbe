import { PgError } from './pg/pg-sync';

/**
 * better-sqlite3 error codes that mean "the database cannot be written now", not a bug
 * (https://www.sqlite.org/rescode.html): disk full, read-only or failing disk, locked too long.
 */
const SQLITE_DOWN = /^SQLITE_(FULL|IOERR|READONLY|BUSY|LOCKED|CANTOPEN)/;

/**
 * PostgreSQL SQLSTATEs of the same kind (https://www.postgresql.org/docs/current/errcodes-appendix.html):
 * insufficient resources (53: disk full, out of memory, too many connections), operator intervention
 * (57: shutdown, statement timeout), system errors (58).
 */
const PG_DOWN = /^(53|57|58)/;

/**
 * The database cannot take a write now (disk full, PostgreSQL unreachable or restarting): such a
 * write is retried (the job queue) or answered 503 so the sender retries (webhooks).
 */
export function isStoreUnavailable(err: unknown): err is Error & { code: string | null } {
  if (err instanceof PgError) return err.connection || PG_DOWN.test(err.code ?? '');
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SQLITE_DOWN.test(code);
}
