import { closedBreaker, type BreakerState, type GuardFacts } from '../core/guard-state';
import type { JobStatus, Result } from '../core/types';
import { createGuardFactsReader } from './read-guard-facts';
import { createSqlAudit } from './sql-audit';
import { createSqlJobGroups } from './sql-job-groups';
import { createSqlReplicas } from './sql-replicas';
import { createSqlSessions } from './sql-sessions';
import { createSqlRunSilences, createSqlVerifications } from './sql-verifications';
import type { SqlDb } from './sql-db';
import type { AuditRecord, GroupGuard, GroupOutcome, JobFilter, RunClaim, Store } from './store';
import type { DeliveryRecord, Job, QueuedEntry } from '../core/job';
import { type JobRow, type QueuedRow, alertEpisode, toEntry, toJob } from './job-row';

export interface SqlStoreOptions {
  /** This process's name among the replicas (the owner of the jobs it creates). */
  replica: string;
  /** Other processes may share the database (PostgreSQL). */
  shared: boolean;
  /** Epoch ms now (the replica's lease). */
  nowMs: number;
}

/**
 * The store over SQL (docs/architecture.md, State): SQLite or PostgreSQL, with the schema in
 * place (sqlite-schema.ts, pg/pg-schema.ts). Registers this process as a replica.
 */
export function createSqlStore(db: SqlDb, o: SqlStoreOptions): Store {
  const me = o.replica;
  const verifications = createSqlVerifications(db);
  const silences = createSqlRunSilences(db);
  const chainJobs = db.prepare('SELECT * FROM jobs WHERE chain_id = ? ORDER BY step, seq');
  // Automatic runs only (trigger kind alert), their rule's own steps (on_failure steps are 1000 and up).
  const triggerKind =
    db.dialect === 'postgres' ? "(trigger_json::json ->> 'kind')" : "json_extract(trigger_json, '$.kind')";
  const runSteps = db.prepare(
    'SELECT rule, chain_id, status FROM jobs WHERE created_at >= ? AND rule IS NOT NULL AND chain_id IS NOT NULL ' +
      `AND step < 1000 AND ${triggerKind} = 'alert' ORDER BY chain_id, step, seq`,
  );
  const claimKey = db.prepare(
    'INSERT INTO dedup (key, job_ids, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING',
  );
  const getJob = db.prepare('SELECT * FROM jobs WHERE id = ?');
  // A range on the primary key, so a prefix look-up reads a few index entries, not the table.
  const idsInRange = db.prepare('SELECT id FROM jobs WHERE id >= ? AND id < ? ORDER BY id LIMIT ?');
  const queued = db.prepare(
    "SELECT id, after_id, stop_on_failure, mutating, node FROM jobs WHERE status = 'queued' AND owner = ? ORDER BY seq",
  );
  const claimState = db.prepare('SELECT status, owner, mutating, node FROM jobs WHERE id = ?');
  const runningOnNode = db.prepare(
    "SELECT id, action, owner FROM jobs WHERE node = ? AND mutating = 1 AND status = 'running' AND id <> ? LIMIT 1",
  );
  const heldOnNode = db.prepare(
    "SELECT id, lock_until_ms FROM jobs WHERE node = ? AND status = 'outcome_unknown' AND lock_until_ms > ? " +
      'ORDER BY lock_until_ms DESC LIMIT 1',
  );
  const markRunning = db.prepare(
    "UPDATE jobs SET status = 'running', started_at = ?, lock_until_ms = ? WHERE id = ? AND status = 'queued'",
  );
  const finish = db.prepare('UPDATE jobs SET status = ?, result = ?, reason = ?, finished_at = ? WHERE id = ?');
  const finishQueued = db.prepare(
    "UPDATE jobs SET status = ?, result = ?, reason = ?, finished_at = ? WHERE id = ? AND status = 'queued'",
  );
  const getDeliveries = db.prepare('SELECT deliveries FROM jobs WHERE id = ?');
  const setDeliveries = db.prepare('UPDATE jobs SET deliveries = ? WHERE id = ?');
  const running = db.prepare("SELECT * FROM jobs WHERE status = 'running' AND owner = ?");
  const stopRunning = db.prepare(
    "UPDATE jobs SET status = ?, reason = ?, finished_at = ? WHERE id = ? AND status = 'running'",
  );
  const heldNodes = db.prepare(
    "SELECT id, node, lock_until_ms FROM jobs WHERE status = 'outcome_unknown' AND lock_until_ms > ? ORDER BY seq",
  );
  const releaseHeld = db.prepare(
    "UPDATE jobs SET lock_until_ms = NULL WHERE id = ? AND status = 'outcome_unknown' AND lock_until_ms IS NOT NULL",
  );
  const auditLog = createSqlAudit(db);
  const putState = db.prepare(
    'INSERT INTO guard_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const delState = db.prepare('DELETE FROM guard_state WHERE key = ?');
  const putBreaker = db.prepare(
    'INSERT INTO breakers (rule, state) VALUES (?, ?) ON CONFLICT (rule) DO UPDATE SET state = excluded.state',
  );
  const allBreakers = db.prepare('SELECT state FROM breakers ORDER BY rule');
  // seq order is insertion order, and at_ms grows with it: the oldest rows go first.
  const pruneRuns = db.prepare(
    'DELETE FROM guard_runs WHERE seq IN (SELECT seq FROM guard_runs WHERE at_ms < ? ORDER BY seq LIMIT ?)',
  );
  // Queued jobs are few, so reading the alert's fingerprint out of the JSON needs no extra column.
  const queuedForAlert = db.prepare(`SELECT * FROM jobs WHERE alert_episode = ? AND status = 'queued' ORDER BY seq`);
  const cancelQueued = db.prepare(
    "UPDATE jobs SET status = 'cancelled', result = ?, reason = ?, finished_at = ? WHERE id = ? AND status = 'queued'",
  );
  const putPending = db.prepare(
    'INSERT INTO pending_incidents (key, received_at, event, owner) VALUES (?, ?, ?, ?) ' +
      'ON CONFLICT (key) DO UPDATE SET received_at = excluded.received_at, event = excluded.event, ' +
      'owner = excluded.owner',
  );
  const delPending = db.prepare('DELETE FROM pending_incidents WHERE key = ?');
  const allPending = db.prepare(
    'SELECT key, received_at, event FROM pending_incidents WHERE owner = ? ORDER BY received_at, key',
  );
  /** Dedup key (when the delivery has one), audit record and the pending incident: all or nothing. */
  const acceptIncident = db.transaction(
    (dedupKey: string | null, pendingKey: string, event: unknown, record: AuditRecord): boolean => {
      if (dedupKey !== null && claimKey.run(dedupKey, '[]', record.at).changes === 0) return false;
      auditLog.insert(record);
      putPending.run(pendingKey, record.at, JSON.stringify(event), me);
      return true;
    },
  );
  // Both prune from the oldest rows, a bounded batch at a time (retention, docs/configuration.md).
  const pruneOld = db.prepare(
    'DELETE FROM webhooks WHERE seq IN (SELECT seq FROM webhooks ORDER BY seq LIMIT ?) AND received_ms < ?',
  );
  const pruneOver = db.prepare(
    'DELETE FROM webhooks WHERE seq IN ' +
      '(SELECT seq FROM webhooks WHERE seq <= (SELECT MAX(seq) FROM webhooks) - ? ORDER BY seq LIMIT ?)',
  );

  const guardFacts = createGuardFactsReader(db);
  const readPause = guardFacts.pause;
  const readBreaker = guardFacts.breaker;
  const readFacts = (g: GroupGuard): GuardFacts => guardFacts.facts(g);
  const createJobGroups = createSqlJobGroups(db, me, {
    readFacts,
    breaker: readBreaker,
    audit: auditLog.insert,
  });

  const addDelivery = db.transaction((id: string, d: DeliveryRecord) => {
    const row = getDeliveries.get(id) as { deliveries: string } | undefined;
    if (!row) return;
    const list = JSON.parse(row.deliveries) as DeliveryRecord[];
    list.push(d);
    setDeliveries.run(JSON.stringify(list), id);
  });

  const cancelQueuedForAlert = db.transaction(
    (fingerprint: string, startsAt: string, reason: string, at: string, result: (job: Job) => Result): Job[] => {
      const out: Job[] = [];
      for (const job of (queuedForAlert.all(alertEpisode(fingerprint, startsAt)) as JobRow[]).map(toJob)) {
        const r = result(job);
        if (cancelQueued.run(JSON.stringify(r), reason, at, job.id).changes === 1)
          out.push({ ...job, status: 'cancelled', reason, result: r, finishedAt: at });
      }
      return out;
    },
  );

  const updateBreaker = db.transaction((rule: string, change: (b: BreakerState) => BreakerState) => {
    const before = readBreaker(rule) ?? closedBreaker(rule);
    const after = change(before);
    // Most runs succeed and change nothing: no write for them.
    if (JSON.stringify(after) !== JSON.stringify(before)) putBreaker.run(rule, JSON.stringify(after));
    return { before, after };
  });

  /** Running jobs after RUNE stopped: a mutating one's outcome is unknown, a read-only one was interrupted. */
  const stopRunningOf = (owner: string, at: string, who: string): Job[] => {
    const rows = (running.all(owner) as JobRow[]).map(toJob);
    for (const job of rows) {
      const status = job.mutating ? 'outcome_unknown' : 'interrupted';
      stopRunning.run(status, stoppedReason(job, who), at, job.id);
    }
    return rows.map((j) => toJob(getJob.get(j.id) as JobRow));
  };
  const interruptRunning = db.transaction((at: string) => stopRunningOf(me, at, 'RUNE'));
  /** Running jobs of no replica (rows from before replicas were recorded): stopped as after a crash. */
  const runningOfNull = db.prepare("SELECT * FROM jobs WHERE status = 'running' AND owner IS NULL");
  const stopOrphanRunning = (at: string): Job[] =>
    (runningOfNull.all() as JobRow[]).map(toJob).map((job) => {
      stopRunning.run(job.mutating ? 'outcome_unknown' : 'interrupted', stoppedReason(job, 'RUNE'), at, job.id);
      return toJob(getJob.get(job.id) as JobRow);
    });

  /** A claim on a queued job (markRunning): decided and written in one transaction. */
  const claim = db.transaction((id: string, at: string, lockUntilMs: number | null): RunClaim => {
    const row = claimState.get(id) as
      { status: string; owner: string | null; mutating: number; node: string } | undefined;
    if (!row || row.status !== 'queued' || row.owner !== me) return 'gone';
    if (row.mutating === 1) {
      const other = runningOnNode.get(row.node, id) as { id: string; action: string; owner: string } | undefined;
      if (other) {
        const where = other.owner === me ? '' : ` on replica ${other.owner}`;
        return {
          heldBy: other.id,
          what: `stayed locked by mutating job ${other.id} (${other.action})${where}`,
          untilMs: Infinity,
        };
      }
      const held = heldOnNode.get(row.node, Date.parse(at)) as { id: string; lock_until_ms: number } | undefined;
      if (held) {
        const until = new Date(held.lock_until_ms).toISOString();
        return {
          heldBy: held.id,
          what: `stayed held by job ${held.id}, whose outcome is unknown (held until ${until})`,
          untilMs: held.lock_until_ms,
        };
      }
    }
    return markRunning.run(at, lockUntilMs, id).changes === 1 ? 'started' : 'gone';
  });

  const getState = db.prepare('SELECT value FROM guard_state WHERE key = ?');
  const readGeneration = () => Number((getState.get('reload') as { value: string } | undefined)?.value ?? 0);
  const bumpGeneration = db.transaction(() => {
    const next = readGeneration() + 1;
    putState.run('reload', String(next));
    return next;
  });
  const queuedEntries = (): QueuedEntry[] => (queued.all(me) as QueuedRow[]).map(toEntry);

  const replicas = createSqlReplicas(
    db,
    { me, shared: o.shared, nowMs: o.nowMs },
    {
      stopRunningOf,
      stopOrphanRunning,
    },
  );
  const sessions = createSqlSessions(db);

  return {
    replica: me,
    shared: o.shared,
    // The write lock is taken before the guards read their facts (SqlDb.transaction), so another
    // process on the same database cannot decide on the same facts between our read and our insert.
    createJobs: (jobs, dedupKey) =>
      createJobGroups(
        [dedupKey === undefined ? { jobs } : { jobs, dedupKey }],
        [],
        jobs[0]?.createdAt ?? new Date().toISOString(),
      )[0] as GroupOutcome,
    createJobGroups: (groups, audits = [], webhooks = []) =>
      createJobGroups(groups, audits, groups[0]?.jobs[0]?.createdAt ?? new Date().toISOString(), webhooks),
    pruneWebhooks(olderThanMs, keep, batch) {
      // A batch's delete is its own short transaction: ingest is never held up for long.
      const old = pruneOld.run(batch, olderThanMs).changes;
      return old + pruneOver.run(keep, Math.max(0, batch - old)).changes;
    },
    acceptPendingIncident: (dedupKey, pendingKey, event, record) => acceptIncident(dedupKey, pendingKey, event, record),
    pendingIncidents: () =>
      (allPending.all(me) as { key: string; received_at: string; event: string }[]).map((r) => ({
        key: r.key,
        receivedAt: r.received_at,
        event: JSON.parse(r.event) as unknown,
      })),
    finishPendingIncident: (key) => void delPending.run(key),
    rememberKey: (key) => claimKey.run(key, '[]', new Date().toISOString()).changes === 1,
    getJob(id) {
      const r = getJob.get(id) as JobRow | undefined;
      return r ? toJob(r) : null;
    },
    jobIdsStartingWith(prefix, limit) {
      if (prefix === '') return [];
      const last = prefix.charCodeAt(prefix.length - 1);
      const end = prefix.slice(0, -1) + String.fromCharCode(last + 1);
      return (idsInRange.all(prefix, end, limit) as { id: string }[]).map((r) => r.id);
    },
    listJobs(f: JobFilter) {
      const where: string[] = [];
      const args: (string | number)[] = [];
      const eq = (col: string, v: string | undefined) => {
        if (v !== undefined) {
          where.push(`${col} = ?`);
          args.push(v);
        }
      };
      eq('node', f.node);
      eq('rule', f.rule);
      eq('status', f.status);
      eq('incident_id', f.incident);
      eq('action', f.action);
      if (f.before !== undefined) {
        where.push('seq < (SELECT seq FROM jobs WHERE id = ?)');
        args.push(f.before);
      }
      const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
      args.push(Math.min(Math.max(f.limit ?? 50, 1), 500));
      return (db.prepare(sql).all(...args) as JobRow[]).map(toJob);
    },
    queuedEntries,
    markRunning: (id, at, lockUntilMs) => claim(id, at, lockUntilMs),
    finishQueued: (id, status, r, reason, at) =>
      finishQueued.run(status, JSON.stringify(r), reason, at, id).changes === 1,
    finishJob: (id, status, result, reason, at) =>
      void finish.run(status, result ? JSON.stringify(result) : null, reason, at, id),
    addDelivery: (id, d) => addDelivery(id, d),
    interruptRunning: (at) => interruptRunning(at),
    heartbeat: replicas.heartbeat,
    takeOver: replicas.takeOver,
    requestCancel: replicas.requestCancel,
    takeCancelRequests: replicas.takeCancelRequests,
    ping: () => void db.prepare('SELECT 1 AS ok').get(),
    reloadGeneration: (bump = false) => (bump ? bumpGeneration() : readGeneration()),
    startVerification: (v) => verifications.start(v),
    getVerification: (chainId) => verifications.get(chainId),
    pendingVerifications: () => verifications.pending(),
    finishVerification: (chainId, status, summary, at, resolvedAt) =>
      verifications.finish(chainId, status, summary, at, resolvedAt),
    ruleRuns: (sinceIso) => {
      const runs = new Map<string, { rule: string; chainId: string; statuses: JobStatus[] }>();
      for (const r of runSteps.all(sinceIso) as { rule: string; chain_id: string; status: JobStatus }[]) {
        let run = runs.get(r.chain_id);
        if (!run) runs.set(r.chain_id, (run = { rule: r.rule, chainId: r.chain_id, statuses: [] }));
        run.statuses.push(r.status);
      }
      return [...runs.values()];
    },
    listVerifications: (sinceIso) => verifications.since(sinceIso),
    jobsOfChain: (chainId) => (chainJobs.all(chainId) as JobRow[]).map(toJob),
    startRunSilence: (s) => silences.start(s),
    getRunSilence: (chainId) => silences.get(chainId),
    activeRunSilences: () => silences.active(),
    extendRunSilence: (chainId, silenceId, alertmanager, endsAt) =>
      silences.extend(chainId, silenceId, alertmanager, endsAt),
    endRunSilence: (chainId, at, error) => silences.end(chainId, at, error),
    saveSession: sessions.save,
    findSession: sessions.find,
    dropSession: sessions.drop,
    listSessions: sessions.list,
    pruneSessions: sessions.prune,
    heldNodes: (nowMs) =>
      (heldNodes.all(nowMs) as { id: string; node: string; lock_until_ms: number }[]).map((r) => ({
        jobId: r.id,
        node: r.node,
        untilMs: r.lock_until_ms,
      })),
    releaseHeldNode: (id) => releaseHeld.run(id).changes > 0,
    cancelQueuedForAlert: (fingerprint, startsAt, reason, at, result) =>
      cancelQueuedForAlert(fingerprint, startsAt, reason, at, result),
    getPause: readPause,
    setPause: (p) => void (p === null ? delState.run('pause') : putState.run('pause', JSON.stringify(p))),
    listBreakers: () => (allBreakers.all() as { state: string }[]).map((r) => JSON.parse(r.state) as BreakerState),
    updateBreaker: (rule, change) => updateBreaker(rule, change),
    audit: (a) => auditLog.insert(a),
    pruneGuardRuns: (beforeMs, limit) => pruneRuns.run(beforeMs, limit).changes,
    listAudit: (limit) => auditLog.list(limit),
    queryAudit: (f) => auditLog.query(f),
    close() {
      try {
        replicas.leave(); // a clean stop: nothing of ours is left to take over
      } catch {
        // the database is gone: the lease ends by itself
      }
      db.close();
    },
  };
}

/** Why a job that was running when RUNE (`who`: or a replica) stopped is no longer running (docs/safety.md). */
function stoppedReason(job: Job, who: string): string {
  const { action, node } = job.request;
  if (!job.mutating) return `interrupted: ${who} stopped while the job was running`;
  const lock = job.lockUntil
    ? `${node} stays locked until ${job.lockUntil} (the run's timeout and kill grace) unless an operator releases it`
    : `${node} is not held (the run started before RUNE kept run deadlines)`;
  const stopped = `${who} stopped while ${action} ran on ${node}; it may still be running there or have ended`;
  return `outcome_unknown: ${stopped}; ${lock}`;
}
