import type { DeliveryRecord, Job, QueuedEntry } from '../core/job';
import type { JobStatus, Result } from '../core/types';
import { rfc3339Instant } from '../util/rfc3339-instant';

/** A row of the jobs table: what SQLite returns for `SELECT *`. */
export interface JobRow {
  id: string;
  trace_id: string;
  status: string;
  rule: string | null;
  chain_id: string | null;
  step: number;
  after_id: string | null;
  stop_on_failure: number;
  mutating: number;
  reason: string | null;
  request: string;
  trigger_json: string;
  alert: string | null;
  incident: string | null;
  notify: string;
  result: string | null;
  deliveries: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  lock_until_ms: number | null;
}

/** One firing episode of one alert (docs/protocols.md §1.4: fingerprint + startsAt, the instant). */
export function alertEpisode(fingerprint: string, startsAt: string): string {
  return `${fingerprint}\u0000${rfc3339Instant(startsAt)}`;
}

export function toJob(r: JobRow): Job {
  return {
    id: r.id,
    traceId: r.trace_id,
    status: r.status as JobStatus,
    request: JSON.parse(r.request) as Job['request'],
    trigger: JSON.parse(r.trigger_json) as Job['trigger'],
    alert: r.alert ? (JSON.parse(r.alert) as Job['alert']) : null,
    incident: r.incident ? (JSON.parse(r.incident) as Job['incident']) : null,
    chainId: r.chain_id,
    step: r.step,
    after: r.after_id,
    stopOnFailureOf: r.stop_on_failure === 1,
    notify: JSON.parse(r.notify) as string[],
    mutating: r.mutating === 1,
    reason: r.reason,
    result: r.result ? (JSON.parse(r.result) as Result) : null,
    deliveries: JSON.parse(r.deliveries) as DeliveryRecord[],
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    lockUntil:
      r.lock_until_ms === null || r.lock_until_ms === undefined ? null : new Date(r.lock_until_ms).toISOString(),
  };
}

/** What the queue needs of a queued job (QueuedEntry), as selected from the jobs table. */
export interface QueuedRow {
  id: string;
  after_id: string | null;
  stop_on_failure: number;
  mutating: number;
  node: string;
}

export const toEntry = (r: QueuedRow): QueuedEntry => ({
  id: r.id,
  after: r.after_id,
  stopOnFailureOf: r.stop_on_failure === 1,
  mutating: r.mutating === 1,
  node: r.node,
});
