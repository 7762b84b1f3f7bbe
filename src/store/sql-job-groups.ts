import { closedBreaker, type BreakerState, type GuardFacts } from '../core/guard-state';
import type { Job, NewJob } from '../core/job';
import { type JobRow, alertEpisode, toJob } from './job-row';
import type { SqlDb } from './sql-db';
import type { AuditRecord, GroupGuard, GroupOutcome, JobGroup, WebhookRecord } from './store';

/** What creating job groups needs from the rest of the store. */
export interface JobGroupDeps {
  readFacts(g: GroupGuard): GuardFacts;
  breaker(rule: string): BreakerState | null;
  audit(record: AuditRecord): void;
}

/**
 * createJobGroups (the Store contract, Atomic ingest): per group, the dedup key is checked and
 * recorded, the guards decided on facts read in the same transaction, and the jobs inserted as
 * this replica's (`me`); then the audit records and the webhook notifications. One transaction,
 * under the database's write lock (SqlDb.transaction).
 */
export function createSqlJobGroups(db: SqlDb, me: string, deps: JobGroupDeps) {
  const insertJob = db.prepare(
    'INSERT INTO jobs (id, trace_id, status, action, node, rule, incident_id, chain_id, step, after_id, ' +
      'stop_on_failure, mutating, reason, request, trigger_json, alert, incident, notify, result, created_at, ' +
      'finished_at, alert_episode, owner) ' +
      'VALUES (@id, @trace_id, @status, @action, @node, @rule, @incident_id, @chain_id, @step, @after_id, ' +
      '@stop_on_failure, @mutating, @reason, @request, @trigger_json, @alert, @incident, @notify, @result, ' +
      '@created_at, @finished_at, @alert_episode, @owner)',
  );
  const getDedup = db.prepare('SELECT job_ids FROM dedup WHERE key = ?');
  const putDedup = db.prepare('INSERT INTO dedup (key, job_ids, created_at) VALUES (?, ?, ?)');
  const getJob = db.prepare('SELECT * FROM jobs WHERE id = ?');
  const insertRun = db.prepare('INSERT INTO guard_runs (rule, node, chain_id, at_ms) VALUES (?, ?, ?, ?)');
  const putBreaker = db.prepare(
    'INSERT INTO breakers (rule, state) VALUES (?, ?) ON CONFLICT (rule) DO UPDATE SET state = excluded.state',
  );
  const insertWebhook = db.prepare(
    'INSERT INTO webhooks (received_ms, received_at, source, id, alerts) VALUES (?, ?, ?, ?, ?)',
  );
  /** Decides a group's guards (after dedup, inside the transaction): the jobs to insert, and why not when refused. */
  const admit = (jobs: NewJob[], g: GroupGuard): { jobs: NewJob[]; suppressed: string | null } => {
    const facts = deps.readFacts(g);
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
        owner: me,
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
      for (const a of audits) deps.audit(a);
      for (const w of webhooks)
        insertWebhook.run(Date.parse(w.receivedAt), w.receivedAt, w.source, w.id, JSON.stringify(w.alerts));
      return results;
    },
  );

  return createJobGroups;
}
