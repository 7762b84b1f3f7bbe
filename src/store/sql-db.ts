import type Database from 'better-sqlite3';

/** One prepared statement: the part of better-sqlite3's Statement the store uses. */
export interface SqlStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/**
 * The SQL database under the store (docs/architecture.md, State): SQLite (better-sqlite3) or
 * PostgreSQL (pg, made synchronous by pg/pg-sync.ts). Statements are written once, with `?` or
 * `@name` parameters, in the SQL both understand; the few that differ ask `dialect`.
 */
export interface SqlDb {
  readonly dialect: 'sqlite' | 'postgres';
  prepare(sql: string): SqlStatement;
  /**
   * `fn` as one transaction that also excludes every other writer of the database (SQLite's
   * IMMEDIATE write lock; on PostgreSQL an advisory lock all of RUNE's replicas take), so what it
   * reads cannot change before it commits. Nested calls join the outer transaction.
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  exec(sql: string): void;
  close(): void;
}

/** better-sqlite3 as a SqlDb. */
export function sqliteDb(db: Database.Database): SqlDb {
  return {
    dialect: 'sqlite',
    prepare: (sql) => db.prepare(sql),
    transaction<A extends unknown[], R>(fn: (...args: A) => R) {
      const t = db.transaction(fn);
      return (...args: A): R => (db.inTransaction ? t(...args) : t.immediate(...args));
    },
    exec: (sql) => void db.exec(sql),
    close: () => db.close(),
  };
}
