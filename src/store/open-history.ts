import Database from 'better-sqlite3';
import { RuneError } from '../core/errors';
import type { Alert } from '../core/types';
import { createGuardFactsReader, type GuardFactsReader } from './read-guard-facts';
import { isPostgresUrl } from './db-url';
import { sqliteDb } from './sql-db';
import { toJob, type JobRow } from './job-row';
import type { Job } from '../core/job';

/** One stored webhook notification (the `webhooks` table). */
export interface StoredWebhook {
  seq: number;
  receivedAt: string;
  source: string;
  id: string;
  alerts: Alert[];
}

/** RUNE's database as the offline tools read it: never written, never migrated. */
export interface History {
  path: string;
  guardFacts: GuardFactsReader;
  /** The jobs stored under a dedup key (one rule run of one alert episode); null when the key was never seen. */
  jobsForKey(key: string): Job[] | null;
  /** Rule names that have jobs. */
  rulesWithJobs(): string[];
  /** Stored webhooks received in [sinceMs, untilMs], oldest first, read one at a time. */
  webhooks(sinceMs: number, untilMs: number): IterableIterator<StoredWebhook>;
  close(): void;
}

/**
 * Opens RUNE's SQLite database read-only (`rune rules test`, `rune rules replay`): a running
 * `rune serve` can keep writing to it, and nothing here can change it.
 */
export function openHistory(path: string): History {
  if (isPostgresUrl(path)) {
    throw new RuneError(
      'CONFIG_INVALID',
      'rune rules test and rune rules replay read a SQLite database only; RUNE_DB names PostgreSQL. ' +
        'Run them with --db naming a SQLite file, or without stored history (rules test)',
      { db: 'postgres' },
    );
  }
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'jobs'").get();
  } catch (err) {
    throw new RuneError(
      'CONFIG_INVALID',
      `cannot open the database ${path} read-only (--db / RUNE_DB): ${(err as Error).message}`,
      { db: path },
    );
  }
  const has = (table: string) =>
    db.prepare('SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?').get('table', table) !== undefined;
  if (!has('jobs') || !has('guard_runs')) {
    db.close();
    throw new RuneError('CONFIG_INVALID', `${path} is not a RUNE database (no jobs or guard_runs table)`, { db: path });
  }
  const getDedup = db.prepare('SELECT job_ids FROM dedup WHERE key = ?');
  const getJob = db.prepare('SELECT * FROM jobs WHERE id = ?');
  const rules = db.prepare('SELECT DISTINCT rule FROM jobs WHERE rule IS NOT NULL ORDER BY rule');
  // A database from before the webhooks table has nothing to replay.
  const webhooks = has('webhooks')
    ? db.prepare(
        'SELECT seq, received_at, source, id, alerts FROM webhooks ' +
          'WHERE received_ms >= ? AND received_ms <= ? ORDER BY seq',
      )
    : null;
  return {
    path,
    guardFacts: createGuardFactsReader(sqliteDb(db)),
    jobsForKey(key) {
      const row = getDedup.get(key) as { job_ids: string } | undefined;
      if (!row) return null;
      return (JSON.parse(row.job_ids) as string[])
        .map((id) => getJob.get(id) as JobRow | undefined)
        .filter((r): r is JobRow => r !== undefined)
        .map(toJob);
    },
    rulesWithJobs: () => (rules.all() as { rule: string }[]).map((r) => r.rule),
    *webhooks(sinceMs, untilMs) {
      if (!webhooks) return;
      for (const r of webhooks.iterate(sinceMs, untilMs) as IterableIterator<{
        seq: number;
        received_at: string;
        source: string;
        id: string;
        alerts: string;
      }>) {
        yield {
          seq: r.seq,
          receivedAt: r.received_at,
          source: r.source,
          id: r.id,
          alerts: JSON.parse(r.alerts) as Alert[],
        };
      }
    },
    close: () => db.close(),
  };
}
