import { createSqlStore } from './sql-store';
import { sqliteDb } from './sql-db';
import { openDatabase } from './sqlite-schema';
import type { Store } from './store';
import { replicaName } from './replica-name';

/**
 * The SQLite store (better-sqlite3, WAL): one file, or `:memory:` for tests; one RUNE process
 * uses it. Opening it creates the schema; an unopenable or unwritable file is a CONFIG_INVALID
 * error naming the path.
 */
export function openSqliteStore(path: string, o: { replica?: string; nowMs?: number } = {}): Store {
  const db = sqliteDb(openDatabase(path));
  return createSqlStore(db, { replica: o.replica ?? replicaName(), shared: false, nowMs: o.nowMs ?? Date.now() });
}
