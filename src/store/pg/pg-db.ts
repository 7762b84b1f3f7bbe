import type { SqlDb, SqlStatement } from '../sql-db';
import { openPgSync, type PgSync, type PgSyncOptions } from './pg-sync';

/** The advisory lock every write transaction of every replica takes (RUNE's "single writer"). */
export const WRITE_LOCK = 0x52554e45; // "RUNE"

/** A statement with `?` / `@name` parameters, as PostgreSQL's `$n` and the order to pass them in. */
export interface Translated {
  text: string;
  /** For `@name` statements: the names of $1, $2, …; null for positional `?`. */
  names: string[] | null;
}

/** Rewrites `?` and `@name` placeholders (outside quoted strings) as `$1`, `$2`, …. */
export function translatePlaceholders(sql: string): Translated {
  let text = '';
  let n = 0;
  const names: string[] = [];
  const index = new Map<string, number>();
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i] as string;
    if (c === "'") {
      const end = sql.indexOf("'", i + 1);
      const stop = end < 0 ? sql.length : end + 1;
      text += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '?') text += `$${++n}`;
    else if (c === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const name = /^[A-Za-z_]\w*/.exec(sql.slice(i + 1))?.[0] as string;
      let at = index.get(name);
      if (at === undefined) {
        names.push(name);
        at = names.length;
        index.set(name, at);
      }
      text += `$${at}`;
      i += name.length;
    } else text += c;
  }
  return { text, names: names.length > 0 ? names : null };
}

/**
 * A parameter as PostgreSQL takes it: undefined is NULL; a NUL character, which its text type
 * cannot hold, is written as U+241F (dedup keys and episodes join their parts with NUL; they are
 * only compared, so both spellings of a key are written and looked up the same way).
 */
function pgValue(v: unknown): unknown {
  if (v === undefined) return null;
  return typeof v === 'string' && v.includes('\u0000') ? v.replaceAll('\u0000', '\u241f') : v;
}

/**
 * PostgreSQL as a SqlDb, over one connection made synchronous (pg-sync.ts). Every transaction
 * takes WRITE_LOCK first: writes of all replicas are serialized as SQLite's are, so a guard
 * decision, a dedup check or a node lock read inside one stays true until it commits.
 */
export function pgDb(o: PgSyncOptions): SqlDb {
  const conn: PgSync = openPgSync(o);
  const cache = new Map<string, Translated>();
  let depth = 0;
  const query = (sql: string, params: unknown[]) => {
    let t = cache.get(sql);
    if (!t) {
      t = translatePlaceholders(sql);
      cache.set(sql, t);
    }
    const values = t.names ? t.names.map((name) => (params[0] as Record<string, unknown>)[name]) : params;
    return conn.query(t.text, values.map(pgValue));
  };
  const statement = (sql: string): SqlStatement => ({
    run: (...params) => ({ changes: query(sql, params).changes }),
    get: (...params) => query(sql, params).rows[0],
    all: (...params) => query(sql, params).rows,
  });
  return {
    dialect: 'postgres',
    prepare: statement,
    transaction<A extends unknown[], R>(fn: (...args: A) => R) {
      return (...args: A): R => {
        if (depth > 0) return fn(...args);
        conn.query('BEGIN', []);
        depth++;
        try {
          conn.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
          const out = fn(...args);
          conn.query('COMMIT', []);
          return out;
        } catch (err) {
          try {
            conn.query('ROLLBACK', []);
          } catch {
            // the connection is gone: PostgreSQL rolls the transaction back itself
          }
          throw err;
        } finally {
          depth--;
        }
      };
    },
    exec: (sql) => void conn.query(sql, []),
    close: () => conn.close(),
  };
}
