import type { SqlDb } from './sql-db';
import type { AuditEntry, AuditFilter, AuditRecord } from './store';

type Row<T> = Omit<T, 'details'> & { details: string };

/**
 * The audit log: append-only (triggers refuse UPDATE and DELETE, sqlite-schema.ts, pg/pg-schema.ts), read
 * newest first. `insert` is also used inside the transactions that create jobs, so a trigger and
 * its record are stored together.
 */
export function createSqlAudit(db: SqlDb) {
  const insert = db.prepare('INSERT INTO audit (at, actor, source, action, target, details) VALUES (?, ?, ?, ?, ?, ?)');
  const latest = db.prepare('SELECT at, actor, source, action, target, details FROM audit ORDER BY seq DESC LIMIT ?');
  const parsed = <T>(r: Row<T>) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }) as T;
  return {
    insert(a: AuditRecord): void {
      insert.run(a.at, a.actor, a.source, a.action, a.target, JSON.stringify(a.details));
    },
    list(limit: number): AuditRecord[] {
      return (latest.all(limit) as Row<AuditRecord>[]).map((r) => parsed<AuditRecord>(r));
    },
    /** Filtered by time, actor and action, newest first; `before` pages on the record's seq. */
    query(f: AuditFilter): AuditEntry[] {
      const where: string[] = [];
      const args: (string | number)[] = [];
      const add = (clause: string, value: string | number | undefined) => {
        if (value === undefined) return;
        where.push(clause);
        args.push(value);
      };
      add('at >= ?', f.since);
      add('actor = ?', f.actor);
      add('action = ?', f.action);
      add('seq < ?', f.before);
      args.push(Math.min(Math.max(f.limit, 1), 1000));
      const whereClause = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const sql =
        'SELECT seq, at, actor, source, action, target, details FROM audit ' +
        `${whereClause} ORDER BY seq DESC LIMIT ?`;
      return (db.prepare(sql).all(...args) as Row<AuditEntry>[]).map((r) => parsed<AuditEntry>(r));
    },
  };
}
