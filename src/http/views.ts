import type { BreakerState } from '../core/guard-state';
import type { Job } from '../core/job';
import type { RuleGuards } from '../guards/types';
import type { RunSilence, Verification } from '../core/verification';

/** A job as the API shows it (docs/api.md): snake_case, with a link to its dashboard page. */
export function jobView(
  j: Job,
  publicUrl: string,
  loop: { verification?: Verification | null; silence?: RunSilence | null } = {},
): Record<string, unknown> {
  const verification = loop.verification ?? null;
  const silence = loop.silence ?? null;
  return {
    id: j.id,
    status: j.status,
    reason: j.reason,
    action: j.request.action,
    node: j.request.node,
    ...(j.request.askedNode !== undefined ? { asked_node: j.request.askedNode } : {}),
    params: j.request.params,
    dry_run: j.request.dryRun,
    rule: j.trigger.rule ?? null,
    step: j.step,
    chain_id: j.chainId,
    after: j.after,
    trace_id: j.traceId,
    trigger: j.trigger,
    incident: j.incident,
    alert: j.alert,
    created_at: j.createdAt,
    started_at: j.startedAt,
    finished_at: j.finishedAt,
    lock_until: j.lockUntil,
    result: j.result,
    deliveries: j.deliveries,
    verification: verification === null ? null : verificationView(verification),
    silence: silence === null ? null : silenceView(silence),
    url: `${publicUrl}/jobs/${j.id}`,
  };
}

/** The verification of the job's rule run (docs/rules.md, verify), as the API shows it. */
export function verificationView(v: Verification): Record<string, unknown> {
  return {
    status: v.status,
    summary: v.summary,
    rule: v.rule,
    job_id: v.jobId,
    started_at: v.startedAt,
    deadline: v.deadline,
    finished_at: v.finishedAt,
    resolved_at: v.resolvedAt,
    query: v.query,
  };
}

/** A rule's circuit breaker as the API shows it; `probe_after` from the rule's guards of the moment. */
export function breakerView(b: BreakerState, g: RuleGuards | undefined): Record<string, unknown> {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const probeAfter = g && b.openedAt !== null && b.state === 'open' ? iso(b.openedAt + g.breaker.probeAfterMs) : null;
  return {
    rule: b.rule,
    state: b.state,
    failures: b.failures,
    opened_at: iso(b.openedAt),
    probe_after: probeAfter,
    probe_chain: b.probeChain,
    last_failure: b.lastFailure,
  };
}

/** The Alertmanager silence held for the job's rule run (docs/rules.md, silence), as the API shows it. */
export function silenceView(s: RunSilence): Record<string, unknown> {
  return {
    status: s.status,
    id: s.silenceId,
    alertmanager: s.alertmanager,
    during: s.during,
    job_id: s.jobId,
    started_at: s.startedAt,
    ends_at: s.endsAt,
    max_until: s.maxUntil,
    expired_at: s.expiredAt,
    error: s.error,
  };
}
