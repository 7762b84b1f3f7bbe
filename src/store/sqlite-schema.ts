import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { RuneError } from '../core/errors';
import { migrateEpisodeKeys } from './migrate-episode-keys';

/** The body of the triggers that keep the audit log append-only. */
const APPEND_ONLY = "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  trace_id TEXT NOT NULL,
  status TEXT NOT NULL,
  action TEXT NOT NULL,
  node TEXT NOT NULL,
  rule TEXT,
  incident_id TEXT,
  chain_id TEXT,
  step INTEGER NOT NULL DEFAULT 0,
  after_id TEXT,
  stop_on_failure INTEGER NOT NULL DEFAULT 1,
  mutating INTEGER NOT NULL DEFAULT 1,
  reason TEXT,
  request TEXT NOT NULL,
  trigger_json TEXT NOT NULL,
  alert TEXT,
  incident TEXT,
  notify TEXT NOT NULL DEFAULT '[]',
  result TEXT,
  deliveries TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_node ON jobs (node, seq);
CREATE INDEX IF NOT EXISTS jobs_rule ON jobs (rule, seq);
CREATE INDEX IF NOT EXISTS jobs_incident ON jobs (incident_id, seq);
CREATE TABLE IF NOT EXISTS dedup (
  key TEXT PRIMARY KEY,
  job_ids TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  source TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  details TEXT NOT NULL
);
-- Guards (docs/safety.md): admitted automatic rule runs (cooldown, budget, blast radius count
-- these), the pause switch, and one circuit breaker per rule.
CREATE TABLE IF NOT EXISTS guard_runs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  rule TEXT NOT NULL,
  node TEXT NOT NULL,
  chain_id TEXT NOT NULL,
  at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS guard_runs_rule ON guard_runs (rule, at_ms);
CREATE INDEX IF NOT EXISTS guard_runs_rule_node ON guard_runs (rule, node, at_ms);
CREATE TABLE IF NOT EXISTS guard_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS breakers (
  rule TEXT PRIMARY KEY,
  state TEXT NOT NULL
);
-- Webhook notifications as received (their alerts as parsed; no headers, no secrets), for
-- \`rune rules replay\`. Written in the transaction of the notification's jobs; pruned from the
-- oldest (rowid order is arrival order), so no index beyond the rowid is kept up to date.
CREATE TABLE IF NOT EXISTS webhooks (
  seq INTEGER PRIMARY KEY,
  received_ms INTEGER NOT NULL,
  received_at TEXT NOT NULL,
  source TEXT NOT NULL,
  id TEXT NOT NULL,
  alerts TEXT NOT NULL
);
-- PagerDuty incidents acknowledged (202) whose alerts RUNE has not looked up and matched yet:
-- written with the delivery's dedup key and audit record, removed when the lookup ended, and
-- taken up again after a restart, so an incident acknowledged just before a crash is not lost.
CREATE TABLE IF NOT EXISTS pending_incidents (
  key TEXT PRIMARY KEY,
  received_at TEXT NOT NULL,
  event TEXT NOT NULL
);
-- Verification of rule runs (docs/rules.md, verify): one row per rule run (its chain) whose rule
-- has verify:, pending until the alert resolves (verified) or the window ends (not_fixed). Added by
-- issue #14; CREATE ... IF NOT EXISTS adds it to older databases too.
CREATE TABLE IF NOT EXISTS verifications (
  chain_id TEXT PRIMARY KEY,
  rule TEXT NOT NULL,
  job_id TEXT NOT NULL,
  action TEXT NOT NULL,
  node TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  starts_at TEXT NOT NULL,
  labels TEXT NOT NULL,
  query TEXT,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  deadline TEXT NOT NULL,
  finished_at TEXT,
  resolved_at TEXT,
  summary TEXT
);
CREATE INDEX IF NOT EXISTS verifications_status ON verifications (status, deadline);
CREATE INDEX IF NOT EXISTS verifications_rule ON verifications (rule, started_at);
-- Alertmanager silences RUNE holds while a rule run repairs (docs/rules.md, silence): one per
-- rule run, active until the run (or its verification) ended. Added by issue #14.
CREATE TABLE IF NOT EXISTS run_silences (
  chain_id TEXT PRIMARY KEY,
  rule TEXT NOT NULL,
  job_id TEXT NOT NULL,
  silence_id TEXT,
  alertmanager TEXT,
  labels TEXT NOT NULL,
  during TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ends_at TEXT NOT NULL,
  max_until TEXT NOT NULL,
  expired_at TEXT,
  error TEXT
);
CREATE INDEX IF NOT EXISTS run_silences_status ON run_silences (status);
-- The audit log is append-only (docs/architecture.md, HTTP surface).
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit ${APPEND_ONLY}
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit ${APPEND_ONLY}
`;

/** Dashboard sessions, when replicas share the database (PostgreSQL; the table exists on SQLite too). */
const SESSIONS = `
CREATE TABLE IF NOT EXISTS sessions (
  id_hash TEXT PRIMARY KEY,
  csrf TEXT NOT NULL,
  actor TEXT NOT NULL,
  token_hash TEXT,
  created_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  flash TEXT
);
CREATE INDEX IF NOT EXISTS sessions_token ON sessions (token_hash, last_seen_ms);
`;

/**
 * Opens (creating it and its folder if needed) the SQLite file RUNE keeps its state in, in WAL mode,
 * with the schema in place; an unopenable or unwritable file is CONFIG_INVALID naming the path.
 */
export function openDatabase(path: string): Database.Database {
  let db: Database.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable across process crashes, fast commits
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    // Added after the first schema: the firing episode an alert job belongs to, indexed, so a
    // resolve finds its queued runs without scanning every queued job's JSON.
    if (!(db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).some((c) => c.name === 'alert_episode'))
      db.exec('ALTER TABLE jobs ADD COLUMN alert_episode TEXT');
    db.exec('CREATE INDEX IF NOT EXISTS jobs_alert_episode ON jobs (alert_episode, status)');
    // Added with silences (issue #14): the jobs of one rule run, to tell when it ended.
    db.exec('CREATE INDEX IF NOT EXISTS jobs_chain ON jobs (chain_id, step)');
    // Added with outcome_unknown (docs/safety.md): until when a mutating run could still be going on
    // its node if RUNE stopped; set when it starts, kept while its outcome is unknown.
    if (!(db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).some((c) => c.name === 'lock_until_ms'))
      db.exec('ALTER TABLE jobs ADD COLUMN lock_until_ms INTEGER');
    // Added with replicas (docs/deployment.md, High availability): the replica that runs a job and
    // holds a pending incident, a cancel asked by another replica, and the replicas' leases.
    const columns = (db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).map((c) => c.name);
    if (!columns.includes('owner')) db.exec('ALTER TABLE jobs ADD COLUMN owner TEXT');
    if (!columns.includes('cancel_request')) db.exec('ALTER TABLE jobs ADD COLUMN cancel_request TEXT');
    if (
      !(db.prepare('PRAGMA table_info(pending_incidents)').all() as { name: string }[]).some((c) => c.name === 'owner')
    )
      db.exec('ALTER TABLE pending_incidents ADD COLUMN owner TEXT');
    db.exec(
      'CREATE TABLE IF NOT EXISTS replicas ' +
        '(id TEXT PRIMARY KEY, started_ms INTEGER NOT NULL, heartbeat_ms INTEGER NOT NULL)',
    );
    db.exec('CREATE INDEX IF NOT EXISTS jobs_node_status ON jobs (node, status)');
    db.exec(SESSIONS);
    migrateEpisodeKeys(db);
  } catch (err) {
    throw new RuneError('CONFIG_INVALID', `cannot open the database ${path} (RUNE_DB): ${(err as Error).message}`, {
      db: path,
    });
  }
  return db;
}
