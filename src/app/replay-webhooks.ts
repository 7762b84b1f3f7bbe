import type { Job } from '../core/job';
import { episodeKey } from '../jobs/episode-key';
import { rfc3339Instant } from '../util/rfc3339-instant';
import type { CompiledRule } from '../rules/compile-rules';
import { matchRules } from '../rules/match-rules';
import type { History } from '../store/open-history';
import { compareDecisions, type RuleChange } from './compare-decisions';

/** One alert of a stored notification, replayed. */
export interface AlertReplay {
  webhook: { seq: number; received_at: string; source: string; id: string };
  alert: { fingerprint: string; status: string; startsAt: string; labels: Record<string, string> };
  changes: RuleChange[];
  /** Rules the new rules match whose node renders empty (nothing would run). */
  problems: string[];
}

export interface ReplayCounts {
  webhooks: number;
  alerts: number;
  /** Episodes seen again in a re-sent notification: replayed once. */
  repeats: number;
  alerts_changed: number;
  new: number;
  removed: number;
  changed: number;
  same: number;
}

/**
 * `rune rules replay`'s use case: the webhooks stored in [sinceMs, untilMs] matched again with
 * `rules` and compared, alert episode by episode, with the jobs the episode actually has. Reads
 * `history` only. Returns the alerts whose decisions differ (every alert with `all`) and counts.
 */
export function replayWebhooks(
  rules: readonly CompiledRule[],
  history: Pick<History, 'jobsForKey' | 'rulesWithJobs' | 'webhooks'>,
  window: { sinceMs: number; untilMs: number; all: boolean },
  /** A rendered node's inventory name under the replayed rules (jobs are stored under it). */
  canonicalNode: (asked: string) => string = (asked) => asked,
): { alerts: AlertReplay[]; summary: ReplayCounts } {
  const ruleNames = [...new Set([...rules.map((r) => r.name), ...history.rulesWithJobs()])];
  const seen = new Set<string>();
  const shown: AlertReplay[] = [];
  const counts = { webhooks: 0, alerts: 0, repeats: 0, alerts_changed: 0, new: 0, removed: 0, changed: 0, same: 0 };
  for (const w of history.webhooks(window.sinceMs, window.untilMs)) {
    counts.webhooks++;
    for (const alert of w.alerts) {
      counts.alerts++;
      // A re-sent notification repeats an episode; it was decided once, and is replayed once.
      const episode = `${alert.fingerprint}\u0000${rfc3339Instant(alert.startsAt)}\u0000${alert.status}`;
      if (seen.has(episode)) {
        counts.repeats++;
        continue;
      }
      seen.add(episode);
      const { invocations, problems } = matchRules(rules, alert);
      const actual = new Map<string, Job[]>();
      for (const rule of ruleNames) {
        const jobs = history.jobsForKey(episodeKey(rule, alert));
        if (jobs && jobs.length > 0) actual.set(rule, jobs);
      }
      const onNodes = invocations.map((inv) => ({ ...inv, node: canonicalNode(inv.node) }));
      const changes = compareDecisions(onNodes, actual);
      for (const c of changes) counts[c.kind]++;
      const differs = changes.some((c) => c.kind !== 'same');
      if (differs) counts.alerts_changed++;
      if (!differs && !window.all) continue;
      shown.push({
        webhook: { seq: w.seq, received_at: w.receivedAt, source: w.source, id: w.id },
        alert: { fingerprint: alert.fingerprint, status: alert.status, startsAt: alert.startsAt, labels: alert.labels },
        changes: window.all ? changes : changes.filter((c) => c.kind !== 'same'),
        problems: problems.map((p) => `rule ${p.rule}: ${p.message}`),
      });
    }
  }
  return { alerts: shown, summary: counts };
}
