import { type ActualStep, type Decision, type RuleChange } from '../app/compare-decisions';
import { replayWebhooks } from '../app/replay-webhooks';
import { RuneError } from '../core/errors';
import { compileRules } from '../rules/compile-rules';
import { loadRuntime } from '../app/runtime';
import { readDbPath, readSettings } from '../settings/read-settings';
import { openHistory } from '../store/open-history';
import { parseDuration } from '../util/duration';
import type { CliIo } from './cli-io';

export interface ReplayFlags {
  since: string;
  until?: string;
  config?: string;
  plugins?: string;
  db?: string;
  all?: boolean;
  output: 'text' | 'json';
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
  const rules = compileRules(runtime.config.rules, runtime.config.defaults.on_failure);
  const history = openHistory(readDbPath(o, io.env));
  try {
    const window_ = { sinceMs: since, untilMs: until, all: !!o.all };
    const { alerts, summary: counts } = replayWebhooks(rules, history, window_, runtime.canonicalNode);
    const window = { since: new Date(since).toISOString(), until: new Date(until).toISOString() };
    const config = runtime.config.source;
    if (o.output === 'json') {
      io.stdout(`${JSON.stringify({ db: history.path, config, ...window, alerts, summary: counts }, null, 2)}\n`);
      return 0;
    }
    const out = [
      `replay of ${history.path}: webhooks received ${window.since} .. ${window.until}, with the rules of ${config}`,
    ];
    for (const a of alerts) {
      const labels = Object.entries(a.alert.labels)
        .map(([k, v]) => `${k}=${q(v)}`)
        .join(', ');
      const w = a.webhook;
      out.push('');
      out.push(
        `${w.received_at} ${w.source} ${w.id || '(no id)'}: ` +
          `alert ${a.alert.fingerprint} ${a.alert.status} since ${a.alert.startsAt}`,
      );
      out.push(`  labels: ${labels}`);
      for (const c of a.changes) out.push(...changeLines(c));
      if (a.changes.length === 0) out.push('    no rule matches, before or now');
      for (const p of a.problems) out.push(`  ! ${p}`);
    }
    out.push('');
    out.push(
      `summary: ${counts.webhooks} webhook(s), ${counts.alerts} alert(s) ` +
        `(${counts.repeats} repeated episode(s) skipped); ${counts.alerts_changed} alert(s) decided differently: ` +
        `${counts.new} new run(s), ${counts.removed} no longer run, ${counts.changed} changed; ` +
        `${counts.same} unchanged`,
    );
    io.stdout(`${out.join('\n')}\n`);
    return 0;
  } finally {
    history.close();
  }
}
