import type { Job, QueuedEntry } from '../core/job';
import type { TakenOver } from './store';
import { type QueuedRow, toEntry } from './job-row';
import type { SqlDb } from './sql-db';

/** What the replicas' part needs of the jobs' part of the store. */
export interface ReplicaJobs {
  /** Stops the running jobs of `owner` as a restart does; `who` names what stopped. */
  stopRunningOf(owner: string, at: string, who: string): Job[];
  /** The same for running jobs of no owner (rows from before replicas were recorded). */
  stopOrphanRunning(at: string): Job[];
}

/**
 * Replicas and their leases (docs/deployment.md, High availability): this replica's lease, the
 * takeover of the work of replicas whose lease ended, and cancels asked across replicas. Registers
 * this replica (`o.me`) at once.
 */
export function createSqlReplicas(db: SqlDb, o: { me: string; shared: boolean; nowMs: number }, jobs: ReplicaJobs) {
  const { me } = o;
  const putReplica = db.prepare(
    'INSERT INTO replicas (id, started_ms, heartbeat_ms) VALUES (?, ?, ?) ' +
      'ON CONFLICT (id) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms',
  );
  const beat = db.prepare('UPDATE replicas SET heartbeat_ms = ? WHERE id = ?');
  const deadReplicas = db.prepare('SELECT id FROM replicas WHERE id <> ? AND heartbeat_ms < ? ORDER BY id');
  const otherReplicas = db.prepare('SELECT id FROM replicas WHERE id <> ? ORDER BY id');
  const dropReplica = db.prepare('DELETE FROM replicas WHERE id = ?');
  // Jobs and pending incidents whose owner is no live replica (a dead one, or none: older rows).
  const orphanOwners = db.prepare(
    "SELECT DISTINCT owner FROM jobs WHERE status IN ('queued', 'running') AND " +
      '(owner IS NULL OR owner NOT IN (SELECT id FROM replicas))',
  );
  const queuedOf = db.prepare(
    'SELECT id, after_id, stop_on_failure, mutating, node FROM jobs ' +
      "WHERE status = 'queued' AND (owner = ? OR (owner IS NULL AND ? = 1)) ORDER BY seq",
  );
  const anyDead = db.prepare('SELECT id FROM replicas WHERE id <> ? AND heartbeat_ms < ? LIMIT 1');
  const adoptQueued = db.prepare(
    "UPDATE jobs SET owner = ? WHERE status = 'queued' AND (owner = ? OR (owner IS NULL AND ? = 1))",
  );
  const pendingOf = db.prepare('SELECT key FROM pending_incidents WHERE owner = ? OR owner IS NULL');
  const adoptPending = db.prepare('UPDATE pending_incidents SET owner = ? WHERE owner = ? OR owner IS NULL');
  const orphanPending = db.prepare(
    'SELECT DISTINCT owner FROM pending_incidents WHERE owner IS NULL OR owner NOT IN (SELECT id FROM replicas)',
  );
  const cancelAsk = db.prepare(
    "UPDATE jobs SET cancel_request = ? WHERE id = ? AND status = 'running' AND cancel_request IS NULL",
  );
  const cancelAsked = db.prepare(
    "SELECT id, cancel_request FROM jobs WHERE owner = ? AND status = 'running' AND cancel_request IS NOT NULL",
  );
  const cancelTaken = db.prepare("UPDATE jobs SET cancel_request = '' WHERE id = ?");

  const takeOver = db.transaction((deadBeforeMs: number | null, at: string) => {
    const dead = (
      (deadBeforeMs === null ? otherReplicas.all(me) : deadReplicas.all(me, deadBeforeMs)) as { id: string }[]
    ).map((r) => r.id);
    for (const id of dead) dropReplica.run(id);
    const owners = new Set<string | null>(dead);
    for (const r of orphanOwners.all() as { owner: string | null }[]) if (r.owner !== me) owners.add(r.owner);
    for (const r of orphanPending.all() as { owner: string | null }[]) if (r.owner !== me) owners.add(r.owner);
    const stopped: Job[] = [];
    const pending: string[] = [];
    const queuedTaken: QueuedEntry[] = [];
    for (const owner of owners) {
      if (owner === null) stopped.push(...jobs.stopOrphanRunning(at));
      else stopped.push(...jobs.stopRunningOf(owner, at, o.shared ? `replica ${owner}` : 'RUNE'));
      queuedTaken.push(...(queuedOf.all(owner ?? '', owner === null ? 1 : 0) as QueuedRow[]).map(toEntry));
      adoptQueued.run(me, owner ?? '', owner === null ? 1 : 0);
      for (const r of pendingOf.all(owner ?? '') as { key: string }[]) pending.push(r.key);
      adoptPending.run(me, owner ?? '');
    }
    return { replicas: dead, queued: queuedTaken, stopped, pending };
  });
  /** Most ticks find nothing to take: that is found out without a transaction (and its lock). */
  const nothingToTake = (deadBeforeMs: number): boolean =>
    anyDead.get(me, deadBeforeMs) === undefined &&
    !(orphanOwners.all() as { owner: string | null }[]).some((r) => r.owner !== me) &&
    !(orphanPending.all() as { owner: string | null }[]).some((r) => r.owner !== me);

  putReplica.run(me, o.nowMs, o.nowMs);
  return {
    heartbeat(nowMs: number): boolean {
      if (beat.run(nowMs, me).changes === 1) return true;
      putReplica.run(me, nowMs, nowMs); // declared dead meanwhile: its work was taken over; a new lease
      return false;
    },
    takeOver: (deadBeforeMs: number | null, at: string): TakenOver =>
      deadBeforeMs !== null && nothingToTake(deadBeforeMs)
        ? { replicas: [], queued: [], stopped: [], pending: [] }
        : takeOver(deadBeforeMs, at),
    requestCancel: (id: string, reason: string): boolean => cancelAsk.run(reason, id).changes === 1,
    takeCancelRequests(): { id: string; reason: string }[] {
      const asked = (cancelAsked.all(me) as { id: string; cancel_request: string }[]).filter((r) => r.cancel_request);
      for (const r of asked) cancelTaken.run(r.id);
      return asked.map((r) => ({ id: r.id, reason: r.cancel_request }));
    },
    /** A clean stop: the lease ends now, and the others take what is left at once. */
    leave: (): void => void dropReplica.run(me),
  };
}
