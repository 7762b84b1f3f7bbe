import type { SqlDb } from '../sql-db';

/**
 * RUNE's schema on PostgreSQL, as numbered migrations. Each is applied once, in order, and
 * recorded in `schema_migrations`; all of them run in one transaction under the write lock every
 * replica takes (pg-db.ts), so replicas that start together wait for the first one to migrate and
 * then find nothing left to do. A migration is never edited once released: add the next one.
 * The tables are those of SQLite (sqlite-schema.ts), with the same columns and meanings; ids and
 * keys compare byte by byte (COLLATE "C") as SQLite's do, so an id prefix is a range.
 */
export const PG_MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'jobs, dedup, audit, guards, webhooks, pending incidents, replicas',
    sql: `
CREATE TABLE jobs (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
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
  finished_at TEXT,
  alert_episode TEXT,
  lock_until_ms BIGINT,
  owner TEXT,
  cancel_request TEXT
);
CREATE INDEX jobs_status ON jobs (status, seq);
CREATE INDEX jobs_node ON jobs (node, seq);
CREATE INDEX jobs_rule ON jobs (rule, seq);
CREATE INDEX jobs_incident ON jobs (incident_id, seq);
CREATE INDEX jobs_alert_episode ON jobs (alert_episode, status);
CREATE INDEX jobs_node_status ON jobs (node, status);
CREATE TABLE dedup (
  key TEXT COLLATE "C" PRIMARY KEY,
  job_ids TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE audit (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  source TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE FUNCTION rune_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit is append-only';
END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit
  FOR EACH STATEMENT EXECUTE FUNCTION rune_audit_append_only();
CREATE TABLE guard_runs (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rule TEXT NOT NULL,
  node TEXT NOT NULL,
  chain_id TEXT NOT NULL,
  at_ms BIGINT NOT NULL
);
CREATE INDEX guard_runs_rule ON guard_runs (rule, at_ms);
CREATE INDEX guard_runs_rule_node ON guard_runs (rule, node, at_ms);
CREATE TABLE guard_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE breakers (
  rule TEXT PRIMARY KEY,
  state TEXT NOT NULL
);
CREATE TABLE webhooks (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_ms BIGINT NOT NULL,
  received_at TEXT NOT NULL,
  source TEXT NOT NULL,
  id TEXT NOT NULL,
  alerts TEXT NOT NULL
);
CREATE TABLE pending_incidents (
  key TEXT PRIMARY KEY,
  received_at TEXT NOT NULL,
  event TEXT NOT NULL,
  owner TEXT
);
CREATE TABLE replicas (
  id TEXT PRIMARY KEY,
  started_ms BIGINT NOT NULL,
  heartbeat_ms BIGINT NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'dashboard sessions shared by replicas',
    sql: `
CREATE TABLE sessions (
  id_hash TEXT COLLATE "C" PRIMARY KEY,
  csrf TEXT NOT NULL,
  actor TEXT NOT NULL,
  token_hash TEXT,
  created_ms BIGINT NOT NULL,
  last_seen_ms BIGINT NOT NULL,
  flash TEXT
);
CREATE INDEX sessions_token ON sessions (token_hash, last_seen_ms);
`,
  },
  {
    version: 3,
    name: 'verifications and silences of rule runs',
    sql: `
CREATE TABLE verifications (
  chain_id TEXT COLLATE "C" PRIMARY KEY,
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
CREATE INDEX verifications_status ON verifications (status, deadline);
CREATE INDEX verifications_rule ON verifications (rule, started_at);
CREATE TABLE run_silences (
  chain_id TEXT COLLATE "C" PRIMARY KEY,
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
CREATE INDEX run_silences_status ON run_silences (status);
CREATE INDEX jobs_chain ON jobs (chain_id, step);
`,
  },
];

/** Applies the migrations this database has not had yet; returns their versions. */
export function migratePg(db: SqlDb, now: () => string = () => new Date().toISOString()): number[] {
  return db.transaction(() => {
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, ' +
        'applied_at TEXT NOT NULL)',
    );
    const row = db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number };
    const known = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]?.version ?? 0;
    if (row.v > known) {
      throw new Error(
        `its schema is version ${row.v}, newer than this RUNE knows (${known}): a newer RUNE migrated it; ` +
          'run that version (docs/deployment.md, Upgrading)',
      );
    }
    const applied: number[] = [];
    for (const m of PG_MIGRATIONS) {
      if (m.version <= row.v) continue;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        now(),
      );
      applied.push(m.version);
    }
    return applied;
  })();
}
