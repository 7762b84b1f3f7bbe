import type { SessionRecord } from './store';
import type { SqlDb } from './sql-db';

interface SessionRow {
  id_hash: string;
  csrf: string;
  actor: string;
  token_hash: string | null;
  created_ms: number;
  last_seen_ms: number;
  flash: string | null;
}

/** Dashboard sessions in the database (table `sessions`), for replicas that share it. */
export function createSqlSessions(db: SqlDb) {
  const putSession = db.prepare(
    'INSERT INTO sessions (id_hash, csrf, actor, token_hash, created_ms, last_seen_ms, flash) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id_hash) DO UPDATE SET actor = excluded.actor, ' +
      'last_seen_ms = excluded.last_seen_ms, flash = excluded.flash',
  );
  const getSession = db.prepare('SELECT * FROM sessions WHERE id_hash = ?');
  const delSession = db.prepare('DELETE FROM sessions WHERE id_hash = ?');
  const allSessions = db.prepare('SELECT id_hash, last_seen_ms FROM sessions ORDER BY last_seen_ms, id_hash');
  const tokenSessions = db.prepare(
    'SELECT id_hash, last_seen_ms FROM sessions WHERE token_hash = ? ORDER BY last_seen_ms, id_hash',
  );
  const pruneSessions = db.prepare('DELETE FROM sessions WHERE last_seen_ms < ? OR created_ms < ?');
  return {
    save: (r: SessionRecord): void =>
      void putSession.run(r.idHash, r.csrf, JSON.stringify(r.actor), r.tokenHash, r.createdMs, r.lastSeenMs, r.flash),
    find(idHash: string): SessionRecord | null {
      const r = getSession.get(idHash) as SessionRow | undefined;
      if (!r) return null;
      return {
        idHash: r.id_hash,
        csrf: r.csrf,
        actor: JSON.parse(r.actor) as unknown,
        tokenHash: r.token_hash,
        createdMs: r.created_ms,
        lastSeenMs: r.last_seen_ms,
        flash: r.flash,
      };
    },
    drop: (idHash: string): void => void delSession.run(idHash),
    list: (tokenHash?: string): { idHash: string; lastSeenMs: number }[] =>
      ((tokenHash === undefined ? allSessions.all() : tokenSessions.all(tokenHash)) as SessionRow[]).map((r) => ({
        idHash: r.id_hash,
        lastSeenMs: r.last_seen_ms,
      })),
    prune: (idleBeforeMs: number, createdBeforeMs: number): void =>
      void pruneSessions.run(idleBeforeMs, createdBeforeMs),
  };
}
