import { closedBreaker, type BreakerState, type GuardFacts } from '../core/guard-state';
import type { JobStatus, Result } from '../core/types';
import { createGuardFactsReader } from './read-guard-facts';
import { createSqliteAudit } from './sqlite-audit';
import { createSqliteRunSilences, createSqliteVerifications } from './sqlite-verifications';
import { openDatabase } from './sqlite-schema';
import type { AuditRecord, GroupGuard, GroupOutcome, JobFilter, JobGroup, Store, WebhookRecord } from './store';
import type { DeliveryRecord, Job, NewJob } from '../core/job';
import { type JobRow, alertEpisode, toJob } from './job-row';

/**
 * SQLite store (better-sqlite3, WAL): one file, or `:memory:` for tests. Opening it creates the
 * schema; an unopenable or unwritable file is a CONFIG_INVALID error naming the path.
 */
export function openSqliteStore(path: string): Store {
  const db = openDatabase(path);
  const verifications = createSqliteVerifications(db);
  const silences = createSqliteRunSilences(db);
  const chainJobs = db.prepare('SELECT * FROM jobs WHERE chain_id = ? ORDER BY step, seq');
  // Automatic runs only (trigger kind alert), their rule's own steps (on_failure steps are 1000 and up).
  const runSteps = db.prepare(
    'SELECT rule, chain_id, status FROM jobs WHERE created_at >= ? AND rule IS NOT NULL AND chain_id IS NOT NULL ' +
      "AND step < 1000 AND json_extract(trigger_json, '$.kind') = 'alert' ORDER BY chain_id, step, seq",
  );
  const insertJob = db.prepare(
    'INSERT INTO jobs (id, trace_id, status, action, node, rule, incident_id, chain_id, step, after_id, ' +
      'stop_on_failure, mutating, reason, request, trigger_json, alert, incident, notify, result, created_at, ' +
      'finished_at, alert_episode) ' +
      'VALUES (@id, @trace_id, @status, @action, @node, @rule, @incident_id, @chain_id, @step, @after_id, ' +
      '@stop_on_failure, @mutating, @reason, @request, @trigger_json, @alert, @incident, @notify, @result, ' +
      '@created_at, @finished_at, @alert_episode)',
  );
  const getDedup = db.prepare('SELECT job_ids FROM dedup WHERE key = ?');
  const putDedup = db.prepare('INSERT INTO dedup (key, job_ids, created_at) VALUES (?, ?, ?)');
  const getJob = db.prepare('SELECT * FROM jobs WHERE id = ?');
  // A range on the primary key, so a prefix look-up reads a few index entries, not the table.
  const idsInRange = db.prepare('SELECT id FROM jobs WHERE id >= ? AND id < ? ORDER BY id LIMIT ?').pluck();
  const queued = db.prepare(
    "SELECT id, after_id, stop_on_failure, mutating, node FROM jobs WHERE status = 'queued' ORDER BY seq",
  );
  const markRunning = db.prepare(
    "UPDATE jobs SET status = 'running', started_at = ?, lock_until_ms = ? WHERE id = ? AND status = 'queued'",
  );
  const finish = db.prepare('UPDATE jobs SET status = ?, result = ?, reason = ?, finished_at = ? WHERE id = ?');
  const getDeliveries = db.prepare('SELECT deliveries FROM jobs WHERE id = ?');
  const setDeliveries = db.prepare('UPDATE jobs SET deliveries = ? WHERE id = ?');
  const running = db.prepare("SELECT * FROM jobs WHERE status = 'running'");
  const stopRunning = db.prepare(
    "UPDATE jobs SET status = ?, reason = ?, finished_at = ? WHERE id = ? AND status = 'running'",
  );
  const heldNodes = db.prepare(
    "SELECT id, node, lock_until_ms FROM jobs WHERE status = 'outcome_unknown' AND lock_until_ms > ? ORDER BY seq",
  );
  const releaseHeld = db.prepare(
    "UPDATE jobs SET lock_until_ms = NULL WHERE id = ? AND status = 'outcome_unknown' AND lock_until_ms IS NOT NULL",
  );
  const auditLog = createSqliteAudit(db);
  const putState = db.prepare(
    'INSERT INTO guard_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const delState = db.prepare('DELETE FROM guard_state WHERE key = ?');
  const putBreaker = db.prepare(
    'INSERT INTO breakers (rule, state) VALUES (?, ?) ON CONFLICT (rule) DO UPDATE SET state = excluded.state',
  );
  const allBreakers = db.prepare('SELECT state FROM breakers ORDER BY rule');
  const insertRun = db.prepare('INSERT INTO guard_runs (rule, node, chain_id, at_ms) VALUES (?, ?, ?, ?)');
  // rowid order is insertion order, and at_ms grows with it: the oldest rows go first.
  const pruneRuns = db.prepare(
    'DELETE FROM guard_runs WHERE rowid IN (SELECT rowid FROM guard_runs WHERE at_ms < ? ORDER BY rowid LIMIT ?)',
  );
  // Queued jobs are few, so reading the alert's fingerprint out of the JSON needs no extra column.
  const queuedForAlert = db.prepare(`SELECT * FROM jobs WHERE alert_episode = ? AND status = 'queued' ORDER BY seq`);
  const cancelQueued = db.prepare(
    "UPDATE jobs SET status = 'cancelled', result = ?, reason = ?, finished_at = ? WHERE id = ? AND status = 'queued'",
  );
  const putPending = db.prepare('INSERT OR REPLACE INTO pending_incidents (key, received_at, event) VALUES (?, ?, ?)');
  const delPending = db.prepare('DELETE FROM pending_incidents WHERE key = ?');
  const allPending = db.prepare('SELECT key, received_at, event FROM pending_incidents ORDER BY rowid');
  /** Dedup key (when the delivery has one), audit record and the pending incident: all or nothing. */
  const acceptIncident = db.transaction(
    (dedupKey: string | null, pendingKey: string, event: unknown, record: AuditRecord): boolean => {
      if (dedupKey !== null) {
        if (getDedup.get(dedupKey)) return false;
        putDedup.run(dedupKey, '[]', record.at);
      }
      auditLog.insert(record);
      putPending.run(pendingKey, record.at, JSON.stringify(event));
      return true;
    },
  );
  const insertWebhook = db.prepare(
    'INSERT INTO webhooks (received_ms, received_at, source, id, alerts) VALUES (?, ?, ?, ?, ?)',
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
  /** Decides a group's guards (after dedup, inside the transaction): the jobs to insert, and why not when refused. */
  const admit = (jobs: NewJob[], g: GroupGuard): { jobs: NewJob[]; suppressed: string | null } => {
    const facts = readFacts(g);
    const verdict = g.decide(facts);
    if (!verdict.admit) return { jobs: g.skipped(verdict.reason), suppressed: verdict.reason };
    insertRun.run(g.rule, g.node, g.chainId, g.at);
    if (verdict.probe) {
      const b = facts.breaker ?? closedBreaker(g.rule);
      putBreaker.run(g.rule, JSON.stringify({ ...b, state: 'half_open', probeChain: g.chainId, probeAt: g.at }));
    }
    return { jobs, suppressed: null };
  };

  /** Inserts one group; the Jobs returned are built from what was inserted, not read back. */
  const insertGroup = (group: JobGroup, now: string): GroupOutcome => {
    const { dedupKey } = group;
    let jobs = group.jobs;
    if (dedupKey !== undefined) {
      const seen = getDedup.get(dedupKey) as { job_ids: string } | undefined;
      if (seen) {
        const ids = JSON.parse(seen.job_ids) as string[];
        return {
          duplicate: true,
          suppressed: null,
          jobs: ids
            .map((id) => getJob.get(id) as JobRow | undefined)
            .filter((r): r is JobRow => r !== undefined)
            .map(toJob),
        };
      }
    }
    let suppressed: string | null = null;
    if (group.guard) ({ jobs, suppressed } = admit(jobs, group.guard));
    if (dedupKey !== undefined) putDedup.run(dedupKey, JSON.stringify(jobs.map((j) => j.id)), now);
    const created: Job[] = [];
    for (const j of jobs) {
      const status = j.status ?? 'queued';
      const finishedAt = status !== 'queued' ? j.createdAt : null;
      insertJob.run({
        id: j.id,
        trace_id: j.traceId,
        status,
        action: j.request.action,
        node: j.request.node,
        rule: j.trigger.rule ?? null,
        incident_id: j.incident?.id ?? null,
        alert_episode:
          j.trigger.kind === 'alert' && j.alert && j.alert.status === 'firing'
            ? alertEpisode(j.alert.fingerprint, j.alert.startsAt)
            : null,
        chain_id: j.chainId,
        step: j.step,
        after_id: j.after,
        stop_on_failure: j.stopOnFailureOf ? 1 : 0,
        mutating: j.mutating ? 1 : 0,
        reason: j.reason ?? null,
        request: JSON.stringify(j.request),
        trigger_json: JSON.stringify(j.trigger),
        alert: j.alert ? JSON.stringify(j.alert) : null,
        incident: j.incident ? JSON.stringify(j.incident) : null,
        notify: JSON.stringify(j.notify),
        result: j.result ? JSON.stringify(j.result) : null,
        created_at: j.createdAt,
        finished_at: finishedAt,
      });
      created.push({
        ...j,
        status,
        reason: j.reason ?? null,
        result: j.result ?? null,
        deliveries: [],
        lockUntil: null,
        startedAt: null,
        finishedAt,
      });
    }
    return { duplicate: false, jobs: created, suppressed };
  };
  const createJobGroups = db.transaction(
    (groups: JobGroup[], audits: AuditRecord[], now: string, webhooks: WebhookRecord[] = []) => {
      const results = groups.map((g) => insertGroup(g, now));
      for (const a of audits) auditLog.insert(a);
      for (const w of webhooks)
        insertWebhook.run(Date.parse(w.receivedAt), w.receivedAt, w.source, w.id, JSON.stringify(w.alerts));
      return results;
    },
  );

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
  const interruptRunning = db.transaction((at: string) => {
    const rows = (running.all() as JobRow[]).map(toJob);
    for (const job of rows) {
      const status = job.mutating ? 'outcome_unknown' : 'interrupted';
      stopRunning.run(status, stoppedReason(job), at, job.id);
    }
    return rows.map((j) => toJob(getJob.get(j.id) as JobRow));
  });

  return {
    // IMMEDIATE: the write lock is taken before the guards read their facts, so another process
    // on the same file cannot decide on the same facts between our read and our insert.
    createJobs: (jobs, dedupKey) =>
      createJobGroups.immediate(
        [dedupKey === undefined ? { jobs } : { jobs, dedupKey }],
        [],
        jobs[0]?.createdAt ?? new Date().toISOString(),
      )[0] as GroupOutcome,
    createJobGroups: (groups, audits = [], webhooks = []) =>
      createJobGroups.immediate(groups, audits, groups[0]?.jobs[0]?.createdAt ?? new Date().toISOString(), webhooks),
    pruneWebhooks(olderThanMs, keep, batch) {
      // A batch's delete is its own short transaction: ingest is never held up for long.
      const old = pruneOld.run(batch, olderThanMs).changes;
      return old + pruneOver.run(keep, Math.max(0, batch - old)).changes;
    },
    acceptPendingIncident: (dedupKey, pendingKey, event, record) => acceptIncident(dedupKey, pendingKey, event, record),
    pendingIncidents: () =>
      (allPending.all() as { key: string; received_at: string; event: string }[]).map((r) => ({
        key: r.key,
        receivedAt: r.received_at,
        event: JSON.parse(r.event) as unknown,
      })),
    finishPendingIncident: (key) => void delPending.run(key),
    rememberKey(key) {
      try {
        putDedup.run(key, '[]', new Date().toISOString());
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
        throw err;
      }
    },
    getJob(id) {
      const r = getJob.get(id) as JobRow | undefined;
      return r ? toJob(r) : null;
    },
    jobIdsStartingWith(prefix, limit) {
      if (prefix === '') return [];
      const last = prefix.charCodeAt(prefix.length - 1);
      const end = prefix.slice(0, -1) + String.fromCharCode(last + 1);
      return idsInRange.all(prefix, end, limit) as string[];
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
    queuedEntries: () =>
      (
        queued.all() as {
          id: string;
          after_id: string | null;
          stop_on_failure: number;
          mutating: number;
          node: string;
        }[]
      ).map((r) => ({
        id: r.id,
        after: r.after_id,
        stopOnFailureOf: r.stop_on_failure === 1,
        mutating: r.mutating === 1,
        node: r.node,
      })),
    markRunning: (id, at, lockUntilMs) => void markRunning.run(at, lockUntilMs, id),
    finishJob: (id, status, result, reason, at) =>
      void finish.run(status, result ? JSON.stringify(result) : null, reason, at, id),
    addDelivery: (id, d) => addDelivery(id, d),
    interruptRunning: (at) => interruptRunning(at),
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
    close: () => db.close(),
  };
}

/** Why a job that was running when RUNE stopped is no longer running (docs/safety.md). */
function stoppedReason(job: Job): string {
  const { action, node } = job.request;
  if (!job.mutating) return 'interrupted: RUNE stopped while the job was running';
  const lock = job.lockUntil
    ? `${node} stays locked until ${job.lockUntil} (the run's timeout and kill grace) unless an operator releases it`
    : `${node} is not held (the run started before RUNE kept run deadlines)`;
  const stopped = `RUNE stopped while ${action} ran on ${node}; it may still be running there or have ended`;
  return `outcome_unknown: ${stopped}; ${lock}`;
}
