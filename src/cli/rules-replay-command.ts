import { RuneError } from '../core/errors';
import { episodeKey } from '../jobs/ingest-alerts';
import { compareDecisions, type ActualStep, type Decision, type RuleChange } from '../app/compare-decisions';
import { compileRules } from '../rules/compile-rules';
import { matchRules } from '../rules/match-rules';
import { loadRuntime } from '../server/start-server';
import { openHistory } from '../store/open-history';
import type { Job } from '../core/job';
import { parseDuration } from '../util/duration';
import type { CliIo } from './cli-io';
import { readDbPath, readSettings } from '../settings/read-settings';

export interface ReplayFlags {
  since: string;
  until?: string;
  config?: string;
  plugins?: string;
  db?: string;
  all?: boolean;
  output: 'text' | 'json';
}

/** One alert of a stored notification, replayed. */
export interface AlertReplay {
  webhook: { seq: number; received_at: string; source: string; id: string };
  alert: { fingerprint: string; status: string; startsAt: string; labels: Record<string, string> };
  changes: RuleChange[];
  /** Rules the new rules match whose node renders empty (nothing would run). */
  problems: string[];
}

/** `24h` ago, or an RFC 3339 time, as epoch ms. */
function parseWhen(flag: string, value: string, now: number): number {
  const d = parseDuration(value);
  if (d !== undefined) return now - d;
  const t = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(t))
    throw new RuneError(
      'USAGE',
      `${flag} ${JSON.stringify(value)} is neither a duration (24h, 7d) nor an RFC 3339 time`,
    );
  return t;
}

const q = JSON.stringify;
const stepText = (d: Decision) => `${d.action} on ${d.node} ${q(d.params)}`;
const actualText = (a: ActualStep) => `${stepText(a)} (${a.status}${a.reason ? `: ${a.reason}` : ''})`;

function changeLines(c: RuleChange): string[] {
  switch (c.kind) {
    case 'new':
      return [`  + new run       ${c.rule}: ${c.after.map(stepText).join('; ')}`];
    case 'removed':
      return [`  - no longer     ${c.rule}: ${c.before.map(actualText).join('; ')}`];
    case 'changed':
      return [
        `  ~ changed       ${c.rule}:`,
        `      was ${c.before.map(actualText).join('; ')}`,
        `      now ${c.after.map(stepText).join('; ')}`,
      ];
    case 'same':
      return [`    same          ${c.rule}: ${c.before.map(actualText).join('; ')}`];
  }
}

/**
 * `rune rules replay`: the stored webhooks of a window, matched again with the given rules and
 * compared with the jobs each alert episode actually has. Opens the database read-only; runs and
 * writes nothing. Exit 0 (differences are information, not failure), 2 for bad flags or config.
 */
export function rulesReplayCommand(o: ReplayFlags, io: CliIo, now: () => Date = () => new Date()): number {
  const at = now().getTime();
  const since = parseWhen('--since', o.since, at);
  const until = o.until === undefined ? at : parseWhen('--until', o.until, at);
  if (until < since) throw new RuneError('USAGE', '--until is before --since');
  const settings = readSettings({ config: o.config, plugins: o.plugins }, io.env);
  const runtime = loadRuntime(settings);
  const rules = compileRules(runtime.config.rules);
  const history = openHistory(readDbPath(o, io.env));
  try {
    const ruleNames = [...new Set([...runtime.config.rules.map((r) => r.name), ...history.rulesWithJobs()])];
    const seen = new Set<string>();
    const shown: AlertReplay[] = [];
    const counts = { webhooks: 0, alerts: 0, repeats: 0, alerts_changed: 0, new: 0, removed: 0, changed: 0, same: 0 };
    for (const w of history.webhooks(since, until)) {
      counts.webhooks++;
      for (const alert of w.alerts) {
        counts.alerts++;
        // A re-sent notification repeats an episode; it was decided once, and is replayed once.
        const episode = `${alert.fingerprint}\u0000${alert.startsAt}\u0000${alert.status}`;
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
        const changes = compareDecisions(invocations, actual);
        for (const c of changes) counts[c.kind]++;
        const differs = changes.some((c) => c.kind !== 'same');
        if (differs) counts.alerts_changed++;
        if (differs || o.all) {
          shown.push({
            webhook: { seq: w.seq, received_at: w.receivedAt, source: w.source, id: w.id },
            alert: {
              fingerprint: alert.fingerprint,
              status: alert.status,
              startsAt: alert.startsAt,
              labels: alert.labels,
            },
            changes: o.all ? changes : changes.filter((c) => c.kind !== 'same'),
            problems: problems.map((p) => `rule ${p.rule}: ${p.message}`),
          });
        }
      }
    }
    const window = { since: new Date(since).toISOString(), until: new Date(until).toISOString() };
    if (o.output === 'json') {
      io.stdout(
        `${JSON.stringify({ db: history.path, config: runtime.config.source, ...window, alerts: shown, summary: counts }, null, 2)}\n`,
      );
      return 0;
    }
    const out = [
      `replay of ${history.path}: webhooks received ${window.since} .. ${window.until}, with the rules of ${runtime.config.source}`,
    ];
    for (const a of shown) {
      const labels = Object.entries(a.alert.labels)
        .map(([k, v]) => `${k}=${q(v)}`)
        .join(', ');
      out.push('');
      out.push(
        `${a.webhook.received_at} ${a.webhook.source} ${a.webhook.id || '(no id)'}: alert ${a.alert.fingerprint} ${a.alert.status} since ${a.alert.startsAt}`,
      );
      out.push(`  labels: ${labels}`);
      for (const c of a.changes) out.push(...changeLines(c));
      if (a.changes.length === 0) out.push('    no rule matches, before or now');
      for (const p of a.problems) out.push(`  ! ${p}`);
    }
    out.push('');
    out.push(
      `summary: ${counts.webhooks} webhook(s), ${counts.alerts} alert(s) (${counts.repeats} repeated episode(s) skipped); ${counts.alerts_changed} alert(s) decided differently: ${counts.new} new run(s), ${counts.removed} no longer run, ${counts.changed} changed; ${counts.same} unchanged`,
    );
    io.stdout(`${out.join('\n')}\n`);
    return 0;
  } finally {
    history.close();
  }
}
