import type { SqlDb } from './sql-db';
import type {
  NewRunSilence,
  NewVerification,
  RunSilence,
  Verification,
  VerificationStatus,
} from '../core/verification';

interface Row {
  chain_id: string;
  rule: string;
  job_id: string;
  action: string;
  node: string;
  fingerprint: string;
  starts_at: string;
  labels: string;
  query: string | null;
  status: VerificationStatus;
  started_at: string;
  deadline: string;
  finished_at: string | null;
  resolved_at: string | null;
  summary: string | null;
}

const toVerification = (r: Row): Verification => ({
  chainId: r.chain_id,
  rule: r.rule,
  jobId: r.job_id,
  action: r.action,
  node: r.node,
  fingerprint: r.fingerprint,
  startsAt: r.starts_at,
  labels: JSON.parse(r.labels) as Record<string, string>,
  query: r.query,
  status: r.status,
  startedAt: r.started_at,
  deadline: r.deadline,
  finishedAt: r.finished_at,
  resolvedAt: r.resolved_at,
  summary: r.summary,
});

/** Verifications of rule runs (table `verifications`: sqlite-schema.ts, pg/pg-schema.ts). */
export function createSqlVerifications(db: SqlDb) {
  const insert = db.prepare(
    'INSERT INTO verifications (chain_id, rule, job_id, action, node, fingerprint, starts_at, labels, ' +
      "query, status, started_at, deadline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) " +
      'ON CONFLICT (chain_id) DO NOTHING',
  );
  const get = db.prepare('SELECT * FROM verifications WHERE chain_id = ?');
  const pending = db.prepare("SELECT * FROM verifications WHERE status = 'pending' ORDER BY deadline, chain_id");
  const since = db.prepare('SELECT * FROM verifications WHERE started_at >= ? ORDER BY started_at, chain_id');
  const finish = db.prepare(
    'UPDATE verifications SET status = ?, summary = ?, finished_at = ?, resolved_at = ? ' +
      "WHERE chain_id = ? AND status = 'pending'",
  );
  return {
    start(v: NewVerification): boolean {
      const labels = JSON.stringify(v.labels);
      const args = [v.chainId, v.rule, v.jobId, v.action, v.node, v.fingerprint, v.startsAt, labels, v.query];
      return insert.run(...args, v.startedAt, v.deadline).changes > 0;
    },
    get(chainId: string): Verification | null {
      const r = get.get(chainId) as Row | undefined;
      return r ? toVerification(r) : null;
    },
    pending(): Verification[] {
      return (pending.all() as Row[]).map(toVerification);
    },
    since(sinceIso: string): Verification[] {
      return (since.all(sinceIso) as Row[]).map(toVerification);
    },
    finish(
      chainId: string,
      status: Exclude<VerificationStatus, 'pending'>,
      summary: string,
      at: string,
      resolvedAt: string | null,
    ): Verification | null {
      if (finish.run(status, summary, at, resolvedAt, chainId).changes === 0) return null;
      const r = get.get(chainId) as Row | undefined;
      return r ? toVerification(r) : null;
    },
  };
}

interface SilenceRow {
  chain_id: string;
  rule: string;
  job_id: string;
  silence_id: string | null;
  alertmanager: string | null;
  labels: string;
  during: RunSilence['during'];
  status: RunSilence['status'];
  started_at: string;
  ends_at: string;
  max_until: string;
  expired_at: string | null;
  error: string | null;
}

const toSilence = (r: SilenceRow): RunSilence => ({
  chainId: r.chain_id,
  rule: r.rule,
  jobId: r.job_id,
  silenceId: r.silence_id,
  alertmanager: r.alertmanager,
  labels: JSON.parse(r.labels) as Record<string, string>,
  during: r.during,
  status: r.status,
  startedAt: r.started_at,
  endsAt: r.ends_at,
  maxUntil: r.max_until,
  expiredAt: r.expired_at,
  error: r.error,
});

/** Silences held for rule runs (table `run_silences`: sqlite-schema.ts, pg/pg-schema.ts). */
export function createSqlRunSilences(db: SqlDb) {
  const insert = db.prepare(
    'INSERT INTO run_silences (chain_id, rule, job_id, silence_id, alertmanager, labels, during, status, ' +
      'started_at, ends_at, max_until, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ' +
      'ON CONFLICT (chain_id) DO NOTHING',
  );
  const get = db.prepare('SELECT * FROM run_silences WHERE chain_id = ?');
  const active = db.prepare("SELECT * FROM run_silences WHERE status = 'active' ORDER BY started_at, chain_id");
  const extend = db.prepare(
    "UPDATE run_silences SET silence_id = ?, alertmanager = ?, ends_at = ? WHERE chain_id = ? AND status = 'active'",
  );
  const end = db.prepare(
    "UPDATE run_silences SET status = 'expired', expired_at = ?, error = ? WHERE chain_id = ? AND status = 'active'",
  );
  const one = (chainId: string) => {
    const r = get.get(chainId) as SilenceRow | undefined;
    return r ? toSilence(r) : null;
  };
  return {
    start(s: NewRunSilence): boolean {
      const args = [s.chainId, s.rule, s.jobId, s.silenceId, s.alertmanager, JSON.stringify(s.labels), s.during];
      return insert.run(...args, s.status, s.startedAt, s.endsAt, s.maxUntil, s.error).changes > 0;
    },
    get: one,
    active(): RunSilence[] {
      return (active.all() as SilenceRow[]).map(toSilence);
    },
    extend(chainId: string, silenceId: string, alertmanager: string, endsAt: string): boolean {
      return extend.run(silenceId, alertmanager, endsAt, chainId).changes > 0;
    },
    end(chainId: string, at: string, error: string | null): RunSilence | null {
      return end.run(at, error, chainId).changes > 0 ? one(chainId) : null;
    },
  };
}
