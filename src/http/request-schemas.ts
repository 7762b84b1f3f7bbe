import { JOB_STATUSES, type JobStatus } from '../core/types';
import { compileCheck } from './validate-request';

/** Why, for the audit log: up to 500 characters (docs/api.md). */
const reason = { type: 'string', maxLength: 500, nullable: true } as const;
/** A filter value; empty means "no filter" (forms and scripts send `?node=`). */
const filter = { type: 'string', maxLength: 200, nullable: true } as const;

export interface JobListQuery {
  node?: string;
  rule?: string;
  incident?: string;
  action?: string;
  before?: string;
  status?: JobStatus;
  limit?: number;
}
export const checkJobListQuery = compileCheck<JobListQuery>({
  type: 'object',
  additionalProperties: false,
  properties: {
    node: filter,
    rule: filter,
    incident: filter,
    action: filter,
    before: filter,
    status: { type: 'string', enum: [...JOB_STATUSES], nullable: true },
    limit: { type: 'integer', minimum: 1, maximum: 500, nullable: true },
  },
});

export interface RuleStatsQuery {
  /** A duration back from now (`7d`, `24h`); default 30d. */
  since?: string;
}
export const checkRuleStatsQuery = compileCheck<RuleStatsQuery>({
  type: 'object',
  additionalProperties: false,
  properties: { since: { type: 'string', pattern: '^(\\d+(ms|s|m|h|d))+$', maxLength: 20, nullable: true } },
});

export interface AuditQuery {
  since?: string;
  actor?: string;
  action?: string;
  limit?: number;
  cursor?: string;
}
export const checkAuditQuery = compileCheck<AuditQuery>({
  type: 'object',
  additionalProperties: false,
  properties: {
    since: { type: 'string', maxLength: 40, nullable: true },
    actor: filter,
    action: filter,
    limit: { type: 'integer', minimum: 1, maximum: 1000, nullable: true },
    cursor: { type: 'string', pattern: '^[0-9]{1,15}$', nullable: true },
  },
});

export interface ManualRunBody {
  action: string;
  node: string;
  params?: Record<string, unknown>;
  dry_run?: boolean;
  reason?: string;
  while_paused?: boolean;
}
export const checkManualRunBody = compileCheck<ManualRunBody>({
  type: 'object',
  additionalProperties: false,
  required: ['action', 'node'],
  properties: {
    action: { type: 'string', minLength: 1, maxLength: 200 },
    node: { type: 'string', minLength: 1, maxLength: 300 },
    params: { type: 'object', nullable: true, required: [] },
    dry_run: { type: 'boolean', nullable: true },
    reason,
    while_paused: { type: 'boolean', nullable: true },
  },
});

export interface RetryBody {
  reason?: string;
  while_paused?: boolean;
}
export const checkRetryBody = compileCheck<RetryBody>({
  type: 'object',
  additionalProperties: false,
  properties: { reason, while_paused: { type: 'boolean', nullable: true } },
});

export interface CancelBody {
  reason?: string;
  force?: boolean;
}
export const checkCancelBody = compileCheck<CancelBody>({
  type: 'object',
  additionalProperties: false,
  properties: { reason, force: { type: 'boolean', nullable: true } },
});

/** Pause, resume, breaker close, reload: an optional reason. */
export interface ReasonBody {
  reason?: string;
}
export const checkReasonBody = compileCheck<ReasonBody>({
  type: 'object',
  additionalProperties: false,
  properties: { reason },
});

export interface IncidentActionQuery {
  action?: string;
  node?: string;
}
export const checkIncidentActionQuery = compileCheck<IncidentActionQuery>({
  type: 'object',
  additionalProperties: false,
  properties: {
    action: { type: 'string', minLength: 1, maxLength: 200, nullable: true },
    node: { type: 'string', minLength: 1, maxLength: 300, nullable: true },
  },
});
