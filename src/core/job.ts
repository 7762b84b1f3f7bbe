import type { Alert, Delivery, IncidentRef, JobStatus, Result, RunRequest, Trigger } from './types';

/** A job as RUNE stores it: shared by the queue, the Store contract, the API and the dashboard. */

/** What to run: the orchestrator's request without its per-run fields, stored so a queued job survives a restart. */
export type JobRequest = Pick<
  RunRequest,
  'action' | 'node' | 'askedNode' | 'params' | 'dryRun' | 'pluginDryRun' | 'timeoutMs'
>;

/** One delivery of a Result to a reporter (PagerDuty note, Slack, webhook), kept with the job. */
export type DeliveryRecord = Delivery;

/** A job as stored: the request, where it came from, and (once finished) its Result. */
export interface Job {
  id: string;
  traceId: string;
  status: JobStatus;
  request: JobRequest;
  trigger: Trigger;
  alert: Alert | null;
  incident: IncidentRef | null;
  /** Steps of one rule run share a chain; a step waits for the one before it. */
  chainId: string | null;
  step: number;
  /** The job this one waits for (the previous step), and whether a failure there stops this one. */
  after: string | null;
  stopOnFailureOf: boolean;
  notify: string[];
  mutating: boolean;
  /** Why a job was skipped or could not run (e.g. "previous_step_failed"). */
  reason: string | null;
  result: Result | null;
  deliveries: DeliveryRecord[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /**
   * A mutating run whose outcome is unknown (RUNE stopped while it ran): its node stays locked until
   * then, unless an operator releases it (docs/safety.md, Outcome unknown). Null otherwise.
   */
  lockUntil: string | null;
}

export type NewJob = Omit<
  Job,
  'status' | 'result' | 'deliveries' | 'startedAt' | 'finishedAt' | 'reason' | 'lockUntil'
> & {
  status?: JobStatus;
  reason?: string | null;
  result?: Result | null;
};

/** The scheduling facts of a queued job; the queue loads the whole job only when it starts it. */
export type QueuedEntry = Pick<Job, 'id' | 'after' | 'stopOnFailureOf' | 'mutating'> & { node: string };
