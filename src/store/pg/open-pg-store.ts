import { RuneError } from '../../core/errors';
import { createSqlStore } from '../sql-store';
import type { Store } from '../store';
import { replicaName } from '../replica-name';
import { pgDb } from './pg-db';
import { migratePg } from './pg-schema';

export interface PgStoreOptions {
  /** RUNE_DB: `postgres://user@host:port/db?…` (libpq's URL form). */
  url: string;
  /** RUNE_DB_PASSWORD / RUNE_DB_PASSWORD_FILE, when the URL has none. */
  password?: string;
  /** Longest wait for the database per statement (ms). */
  timeoutMs?: number;
  replica?: string;
  nowMs?: number;
}

/** The URL with its password blanked, for messages and logs. */
export function redactDbUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

/**
 * The PostgreSQL store: any number of `rune serve` replicas share it (docs/deployment.md, High
 * availability). Opening it migrates the schema (under the replicas' write lock) and registers
 * this process's lease. A database that cannot be reached or migrated is CONFIG_INVALID at start.
 */
export function openPgStore(o: PgStoreOptions): Store {
  const db = pgDb({
    url: o.url,
    ...(o.password !== undefined ? { password: o.password } : {}),
    timeoutMs: o.timeoutMs ?? 5000,
  });
  try {
    migratePg(db);
    return createSqlStore(db, { replica: o.replica ?? replicaName(), shared: true, nowMs: o.nowMs ?? Date.now() });
  } catch (err) {
    db.close();
    const where = redactDbUrl(o.url);
    throw new RuneError('CONFIG_INVALID', `cannot open the database ${where} (RUNE_DB): ${(err as Error).message}`, {
      db: where,
    });
  }
}
