import type Database from 'better-sqlite3';
import { rfc3339Instant } from '../util/rfc3339-instant';
import { alertEpisode } from './job-row';

const NAME = 'episode-keys-as-instants';
const PAGE = 1000;

/**
 * Dedup keys and `jobs.alert_episode` hold an alert's startsAt as the instant (rfc3339Instant),
 * so `10:30:00Z`, `10:30:00.000Z` and `11:30:00+01:00` are one episode. Rows written by an older
 * RUNE hold startsAt as the sender wrote it; they are rewritten once, in one transaction, so an
 * episode still firing at the upgrade is a duplicate when Alertmanager sends it again, and a
 * resolve still finds its queued runs. Keys that were already instants (Alertmanager in UTC) stay
 * as they are; of two keys that name one episode (the bug itself), the one written as the instant
 * is kept. Done once: recorded in the `migrations` table.
 */
export function migrateEpisodeKeys(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, at TEXT NOT NULL)');
  if (db.prepare('SELECT 1 FROM migrations WHERE name = ?').get(NAME)) return;
  const page = db.prepare('SELECT key FROM dedup WHERE key > ? ORDER BY key LIMIT ?').pluck();
  const rename = db.prepare('UPDATE OR IGNORE dedup SET key = ? WHERE key = ?');
  const drop = db.prepare('DELETE FROM dedup WHERE key = ?');
  const queued = db.prepare("SELECT id, alert FROM jobs WHERE status = 'queued' AND alert IS NOT NULL");
  const setEpisode = db.prepare('UPDATE jobs SET alert_episode = ? WHERE id = ?');
  db.transaction(() => {
    let after = '';
    for (let keys = page.all(after, PAGE) as string[]; keys.length > 0; keys = page.all(after, PAGE) as string[]) {
      after = keys[keys.length - 1] as string;
      for (const key of keys) {
        // An episode key: `${startsAt}\u0000${rule}\u0000${status}\u0000${fingerprint}` (jobs/episode-key.ts).
        const cut = key.indexOf('\u0000');
        if (cut < 0) continue;
        const instant = rfc3339Instant(key.slice(0, cut));
        if (instant === key.slice(0, cut)) continue;
        const renamed = `${instant}${key.slice(cut)}`;
        if (rename.run(renamed, key).changes === 0) drop.run(key);
      }
    }
    for (const row of queued.all() as { id: string; alert: string }[]) {
      const alert = JSON.parse(row.alert) as { fingerprint: string; startsAt: string };
      setEpisode.run(alertEpisode(alert.fingerprint, alert.startsAt), row.id);
    }
    db.prepare('INSERT INTO migrations (name, at) VALUES (?, ?)').run(NAME, new Date().toISOString());
  })();
}
