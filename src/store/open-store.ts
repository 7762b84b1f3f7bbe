import { isPostgresUrl } from './db-url';
import { openPgStore } from './pg/open-pg-store';
import { openSqliteStore } from './sqlite-store';
import type { Store } from './store';

/** The store RUNE_DB names: PostgreSQL shared by replicas, or a SQLite file (the default). */
export function openStore(db: string, o: { password?: string | null; replica?: string } = {}): Store {
  if (isPostgresUrl(db)) {
    return openPgStore({
      url: db,
      ...(o.password ? { password: o.password } : {}),
      ...(o.replica ? { replica: o.replica } : {}),
    });
  }
  return openSqliteStore(db, o.replica ? { replica: o.replica } : {});
}
