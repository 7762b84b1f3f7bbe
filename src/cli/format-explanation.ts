import type { AlertExplanation, RuleExplanation } from '../app/explain-alert';
import type { MatcherVerdict } from '../rules/explain-match';
import type { PayloadKind } from '../sources/parse-any-payload';

/** The document `rune rules test <payload> --output json` prints (docs/cli.md). */
export interface ExplainDocument {
  payload: { file: string; kind: PayloadKind; notes: string[] };
  config: string;
  /** The database the guards read, or null: no history (fresh state). */
  db: string | null;
  alerts: AlertExplanation[];
  summary: { alerts: number; matched_rules: number; steps: number; refused: number; problems: number };
}

const KIND_TEXT: Record<PayloadKind, string> = {
  alertmanager: 'Alertmanager webhook',
  'pagerduty-event': 'PagerDuty v3 webhook',
  'pagerduty-alerts': 'PagerDuty incident alerts (GET /incidents/{id}/alerts)',
  alert: 'bare alert(s)',
};

export function summarize(alerts: AlertExplanation[]): ExplainDocument['summary'] {
  const matched = alerts.flatMap((a) => a.rules.filter((r) => r.matched));
  return {
    alerts: alerts.length,
    matched_rules: matched.length,
    steps: matched.reduce((n, r) => n + r.steps.length, 0),
    refused: matched.filter((r) => r.guards !== null && r.guards.decision !== 'admit').length,
    problems: matched.reduce((n, r) => n + r.problems.length + r.steps.filter((s) => s.problem !== null).length, 0),
  };
}

const q = (s: string) => JSON.stringify(s);

function verdictLine(v: MatcherVerdict, width: number): string {
  const actual = v.actual === null ? `${v.label} is missing (matches as "")` : `${v.label} is ${q(v.actual)}`;
  return `      ${v.pass ? 'ok  ' : 'FAIL'} ${v.matcher.padEnd(width)}  ${actual}`;
}

function ruleLines(r: RuleExplanation): string[] {
  const lines = [`  ${r.matched ? 'MATCH   ' : 'no match'} rule ${r.rule}`];
  const other = r.on === 'firing' ? 'resolved' : 'firing';
  lines.push(`      ${r.statusOk ? 'ok  ' : 'FAIL'} on: ${r.on}${r.statusOk ? '' : ` (the alert is ${other})`}`);
  const width = Math.max(...r.matchers.map((m) => m.matcher.length));
  for (const v of r.matchers) lines.push(verdictLine(v, width));
  if (!r.matched) return lines;
  if (r.node) {
    const n = r.node;
    const how =
      n.transport === 'ssh'
        ? ` ${n.user}@${n.address}:${n.port}`
        : n.transport === 'ssm'
          ? ` instance ${n.instance_id ?? '?'}`
          : '';
    const where = n.inventory === null ? 'not in the inventory' : `inventory ${n.inventory}: ${n.transport}${how}`;
    lines.push(`      node: ${n.template} -> ${q(n.rendered)} -> ${where}`);
  }
  for (const s of r.steps) {
    lines.push(`      step ${s.step + 1}: ${s.action} ${JSON.stringify(s.params)}`);
    if (s.validated_params && JSON.stringify(s.validated_params) !== JSON.stringify(s.params))
      lines.push(`              with the plugin's defaults: ${JSON.stringify(s.validated_params)}`);
    if (s.problem) lines.push(`              problem ${s.problem.code}: ${s.problem.message}`);
  }
  for (const p of r.problems) lines.push(`      problem ${p.code}: ${p.message}`);
  if (r.guards) {
    const g = r.guards;
    const state = g.history ? '' : ' (no history: fresh state)';
    const head =
      g.decision === 'admit'
        ? `would run${g.probe ? ' as the breaker probe' : ''}${state}`
        : g.decision === 'duplicate'
          ? `duplicate: ${g.reason ?? ''}`
          : `would be SKIPPED: ${g.reason ?? ''}`;
    lines.push(`      guards: ${head}`);
    for (const j of g.jobs)
      lines.push(`              job ${j.id} ${j.action} ${j.status}${j.reason ? ` (${j.reason})` : ''}`);
    const s = g.settings;
    lines.push(
      `              cooldown ${s.cooldown ?? 'none'}; budget ${s.budget ?? 'none'}; ` +
        `blast radius ${s.blast_radius ?? 'none'}; breaker ${s.breaker}`,
    );
  }
  if (r.verify) {
    const query = r.verify.query ? `, or the query ${q(r.verify.query)} empty (RUNE_PROMETHEUS_URL)` : '';
    lines.push(
      `      verify: once the run succeeded, the alert must resolve within ${r.verify.within} ` +
        `(its resolve notification, or gone from Alertmanager's GET /api/v2/alerts${query}), else not_fixed`,
    );
  }
  if (r.silence) {
    const until = r.silence.during === 'run' ? 'the run ends' : 'its verification ends';
    lines.push(
      `      silence: the alert is silenced in Alertmanager (RUNE_ALERTMANAGER_URL) from before the first mutating ` +
        `step until ${until}, at most ${r.silence.max}`,
    );
  }
  r.on_failure.forEach((s, i) =>
    lines.push(`      on failure ${i + 1}: ${s.action} ${JSON.stringify(s.params)} (only if the run fails)`),
  );
  if (r.escalate)
    lines.push(
      `      escalate: a PagerDuty ${r.escalate.severity} event (RUNE_PAGERDUTY_ROUTING_KEY) when the run is ` +
        r.escalate.on.map((w) => w.replace('_', ' ')).join(', or '),
    );
  return lines;
}

/** `rune rules test <payload>` for people: alert by alert, rule by rule, every matcher's verdict. */
export function formatExplanationText(doc: ExplainDocument): string {
  const out: string[] = [];
  const n = doc.alerts.length;
  out.push(`payload ${doc.payload.file}: ${KIND_TEXT[doc.payload.kind]}, ${n} alert${n === 1 ? '' : 's'}`);
  out.push(
    `rules ${doc.config}; guards read ${doc.db === null ? 'no history (fresh state)' : `the state in ${doc.db}`}`,
  );
  for (const note of doc.payload.notes) out.push(`note: ${note}`);
  doc.alerts.forEach((a, i) => {
    out.push('');
    out.push(`alert ${i + 1} of ${n}: ${a.status}, fingerprint ${a.fingerprint}, startsAt ${a.startsAt} (${a.source})`);
    out.push(
      `  labels: ${
        Object.entries(a.labels)
          .map(([k, v]) => `${k}=${q(v)}`)
          .join(', ') || '(none)'
      }`,
    );
    if (a.rules.length === 0) out.push('  (the rules file has no rules)');
    for (const r of a.rules) out.push(...ruleLines(r));
  });
  const s = doc.summary;
  out.push('');
  out.push(
    `summary: ${s.alerts} alert(s), ${s.matched_rules} matching rule(s), ${s.steps} step(s), ` +
      `${s.refused} refused by guards, ${s.problems} problem(s)`,
  );
  return `${out.join('\n')}\n`;
}
