import { decideGuards } from '../guards/decide-guards';
import type { RuleGuards } from '../guards/types';
import type { PluginRegistry } from '../plugins/load-registry';
import type { MatchOutcome } from '../rules/match-rules';
import type { GroupCommit } from '../store/create-group-committer';
import type { AuditRecord, JobGroup, WebhookRecord } from '../store/store';
import type { Job } from '../core/job';
import type { Alert, Trigger } from '../core/types';
import { byRule, chainJobs } from '../jobs/chain-jobs';
import { skippedResult } from '../jobs/skipped-result';
import { episodeKey } from '../jobs/episode-key';

export interface IngestDeps {
  /** Writes the job groups (and audit records) in one transaction; see create-group-committer. */
  commit: GroupCommit;
  registry: PluginRegistry;
  match: (alert: Alert) => MatchOutcome;
  now: () => Date;
  newId: () => string;
  newTraceId: () => string;
  /** `rune serve --dry-run`: every job is a RUNE dry run (plan only, no node contacted). */
  dryRun: boolean;
  /** A rendered node's inventory name (docs/safety.md, Node identity). */
  canonicalNode: (asked: string) => string;
  /** The rule's guards (docs/safety.md); undefined: none (a rule removed by a reload meanwhile). */
  guards: (rule: string) => RuleGuards | undefined;
}

/** A rule run a guard refused: its jobs are stored as skipped with the reason. */
export interface Suppression {
  rule: string;
  node: string;
  fingerprint: string;
  reason: string;
  jobs: string[];
}

export interface IngestOutcome {
  /** Jobs created now (ids), and the jobs themselves for the queue. */
  jobs: string[];
  created: Job[];
  /** Jobs an earlier delivery of the same firing episode created (not run again). */
  duplicates: string[];
  /** Rule runs refused by a guard (their jobs are in `jobs` and `created`, as skipped). */
  suppressed: Suppression[];
  /** Alerts that matched no rule. */
  unmatched: number;
  problems: { rule: string; fingerprint: string; message: string }[];
}

/**
 * Alerts → rules → stored jobs. Each matching rule becomes a chain of jobs (its steps, in order),
 * created atomically with its dedup key, so a re-sent notification never runs anything twice.
 * A new episode then passes the rule's guards in the same transaction (docs/safety.md); a refused
 * one is stored all the same, every step `skipped` with the guard's reason.
 */
export async function ingestAlerts(
  alerts: Alert[],
  deps: IngestDeps,
  audit: (outcome: IngestOutcome) => AuditRecord | null = () => null,
  webhook: WebhookRecord | null = null,
): Promise<IngestOutcome> {
  const out: IngestOutcome = { jobs: [], created: [], duplicates: [], suppressed: [], unmatched: 0, problems: [] };
  const groups: JobGroup[] = [];
  for (const alert of alerts) {
    const { invocations, problems } = deps.match(alert);
    for (const p of problems) out.problems.push({ ...p, fingerprint: alert.fingerprint });
    if (invocations.length === 0 && problems.length === 0) out.unmatched++;
    for (const [rule, steps] of byRule(invocations)) {
      const now = deps.now();
      const chainId = deps.newId();
      const trigger: Trigger = {
        kind: 'alert',
        source: alert.source,
        rule,
        alert_fingerprint: alert.fingerprint,
        ...(alert.incident ? { incident: alert.incident } : {}),
      };
      // One trace for the whole rule run.
      const jobs = chainJobs(steps, {
        trigger,
        alert,
        chainId,
        traceId: deps.newTraceId(),
        createdAt: now.toISOString(),
        newId: deps.newId,
        dryRun: deps.dryRun,
        registry: deps.registry,
        canonicalNode: deps.canonicalNode,
      });
      const g = deps.guards(rule);
      // Guards count runs per node as the inventory names it: `box` and its address are one node.
      const node = jobs[0]?.request.node ?? '';
      groups.push({
        jobs,
        dedupKey: episodeKey(rule, alert),
        ...(g
          ? {
              guard: {
                rule,
                node,
                chainId,
                at: now.getTime(),
                windows: {
                  cooldownMs: g.cooldownMs,
                  budgetMs: g.budget?.perMs ?? null,
                  blastMs: g.blastRadius?.perMs ?? null,
                },
                decide: (facts) => decideGuards(g, node, facts, now.getTime()),
                skipped: (reason) =>
                  jobs.map((j) => ({
                    ...j,
                    status: 'skipped' as const,
                    reason,
                    result: skippedResult(j, reason, now),
                  })),
              },
            }
          : {}),
      });
    }
  }
  // Planned ids first, so the audit record written in the same transaction can name them.
  const planned = { ...out, jobs: groups.flatMap((g) => g.jobs.map((j) => j.id)) };
  const record = audit(planned);
  // One transaction for the whole notification (and its neighbours): one commit for many alerts.
  // The notification itself (for `rune rules replay`) goes into that transaction too.
  for (const { duplicate, jobs, suppressed } of await deps.commit(
    groups,
    record ? [record] : [],
    webhook ? [webhook] : [],
  )) {
    if (duplicate) out.duplicates.push(...jobs.map((j) => j.id));
    else {
      out.jobs.push(...jobs.map((j) => j.id));
      out.created.push(...jobs);
      const first = jobs[0];
      if (suppressed !== null && first) {
        out.suppressed.push({
          rule: first.trigger.rule ?? '',
          node: first.request.node,
          fingerprint: first.trigger.alert_fingerprint ?? '',
          reason: suppressed,
          jobs: jobs.map((j) => j.id),
        });
      }
    }
  }
  return out;
}
