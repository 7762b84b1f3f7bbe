/**
 * better-sqlite3 error codes that mean "the database cannot be written now", not a bug
 * (https://www.sqlite.org/rescode.html): disk full, read-only or failing disk, locked too long.
 * Such a write is retried (the job queue) or answered 503 so the sender retries (webhooks).
 */
const STORE_DOWN = /^SQLITE_(FULL|IOERR|READONLY|BUSY|LOCKED|CANTOPEN)/;

export function isStoreUnavailable(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && STORE_DOWN.test(code);
}
