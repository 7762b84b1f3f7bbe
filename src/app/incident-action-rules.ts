import { allows, type Actor } from '../auth/actor';
import { RuneError } from '../core/errors';
import type { Job, NewJob } from '../core/job';
import type { IncidentRef } from '../core/types';
import { manualRuleJobs } from '../jobs/manual-rule-jobs';
import type { IncidentLabels } from '../sources/pagerduty/find-incident-labels';
import type { IncidentAction } from '../sources/pagerduty/parse-incident-action';
import { pagerDutyIncidentToAlert } from '../sources/pagerduty/pagerduty-incident-to-alert';
import type { AppContext } from './context';
import { recordAudit } from './record-audit';

export type IncidentActionOutcome =
  | { status: 'ignored'; events: unknown }
  | { status: 'duplicate'; webhook_id: string }
  | { status: 'accepted'; incident: string; jobs: string[]; refused?: unknown[]; problems?: unknown[] };

/** How an incident action that ran nothing is answered: the error, and the note posted on the incident. */
export interface Refusal {
  error: RuneError;
  note: string;
}

export interface RulesRun {
  /** The actor as jobs record it: the token and the PagerDuty user who clicked. */
  who: string;
  incidentRef: IncidentRef;
  notify: string[];
  audited: { actor: Actor; source: string; details: Record<string, unknown> };
  refuse: (r: Refusal) => never;
  /** The delivery's key, claimed in the transaction that stores the jobs (a retry is a duplicate). */
  dedupKey: string;
  /** Posts the note saying which matching rules did not run (rendered by renderPressNote). */
  notePartial: (why: string) => void;
}

/**
 * An incident action without `?action=`: the rules matching the incident's alert run by hand, each
 * as a chain of its steps (no guards, no episode dedup: docs/safety.md), those outside the token's
 * scope refused one by one (and said so in a note). The jobs are stored in one transaction with the
 * delivery's dedup key: nothing is claimed when nothing runs.
 */
export function runMatchingRules(
  ctx: AppContext,
  envelope: IncidentAction,
  found: IncidentLabels,
  run: RulesRun,
): IncidentActionOutcome {
  const { incident } = envelope;
  const { actor, source, details } = run.audited;
  const rt = ctx.runtime();
  const alert = pagerDutyIncidentToAlert(
    {
      kind: 'incident',
      eventId: envelope.messageId,
      eventType: 'incident.custom',
      occurredAt: envelope.createdOn ?? ctx.now().toISOString(),
      incident: { ...incident, incidentKey: null },
    },
    found,
  );
  const matched = rt.match(alert);
  if (matched.invocations.length === 0) {
    const why = matched.problems.length
      ? matched.problems.map((p) => `${p.rule}: ${p.message}`).join('; ')
      : `no rule matches the labels ${JSON.stringify(alert.labels)}`;
    run.refuse({
      error: new RuneError('INCIDENT_UNMATCHED', `nothing to run for incident ${incident.id}: ${why}`, {
        labels: alert.labels,
      }),
      note: `no rule matches its alert (${why}).`,
    });
  }
  const trigger = {
    kind: 'manual' as const,
    source: 'pagerduty',
    actor: run.who,
    alert_fingerprint: alert.fingerprint,
    incident: run.incidentRef,
  };
  const chains = manualRuleJobs(matched.invocations, alert, trigger, {
    registry: rt.registry,
    canonicalNode: rt.canonicalNode,
    now: () => ctx.now(),
    newId: () => ctx.newId(),
    newTraceId: () => ctx.newTraceId(),
    dryRun: ctx.dryRun,
    alsoNotify: run.notify,
  });
  const refused: { rule: string; reason: string }[] = [];
  const allowed: NewJob[] = [];
  for (const [rule, jobs] of chains) {
    const outside = jobs.find((j) => !allows(actor, 'run', { action: j.request.action, node: j.request.node }));
    if (outside) {
      const reason = `token ${actor.name} may not run ${outside.request.action} on ${outside.request.node}`;
      refused.push({ rule, reason });
      continue;
    }
    allowed.push(...jobs);
  }
  if (allowed.length === 0) {
    const list = refused.map((r) => `${r.rule} (${r.reason})`).join('; ');
    run.refuse({
      error: new RuneError('FORBIDDEN', `token ${actor.name} may not run any matching rule: ${list}`, { refused }),
      note: `the extension's token may not run the matching rules (${refused.map((r) => r.rule).join(', ')}).`,
    });
  }
  const stored = ctx.store.createJobs(allowed, run.dedupKey);
  if (stored.duplicate) return { status: 'duplicate', webhook_id: details.webhook_id as string };
  const created: Job[] = stored.jobs;
  ctx.queue.add(created);
  if (refused.length > 0)
    run.notePartial(`the extension's token may not run ${refused.map((r) => r.rule).join(', ')}.`);
  recordAudit(ctx, { actor: actor.name, source }, 'incident-action', `incident ${incident.id}`, {
    ...details,
    rules: [...chains.keys()].filter((r) => !refused.some((x) => x.rule === r)),
    refused,
    job_ids: created.map((j) => j.id),
    labels_from: found.from,
  });
  const counts = { jobs: created.length, refused: refused.length };
  ctx.log.info({ incident: incident.id, actor: run.who, ...counts }, 'incident action accepted');
  return {
    status: 'accepted',
    incident: incident.id,
    jobs: created.map((j) => j.id),
    ...(refused.length ? { refused } : {}),
    ...(matched.problems.length ? { problems: matched.problems } : {}),
  };
}
