import type Database from 'better-sqlite3';
import type { NewVerification, Verification, VerificationStatus } from '../core/verification';

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

/** Verifications of rule runs on SQLite (table `verifications`, sqlite-schema.ts). */
export function createSqliteVerifications(db: Database.Database) {
  const insert = db.prepare(
    'INSERT OR IGNORE INTO verifications (chain_id, rule, job_id, action, node, fingerprint, starts_at, labels, ' +
      "query, status, started_at, deadline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
  );
  const get = db.prepare('SELECT * FROM verifications WHERE chain_id = ?');
  const pending = db.prepare("SELECT * FROM verifications WHERE status = 'pending' ORDER BY deadline, chain_id");
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
