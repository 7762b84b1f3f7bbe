import { existsSync, readFileSync } from 'node:fs';
import { formatProblem } from '../config/read-config';
import { RuneError } from '../core/errors';
import { explainAlert } from '../app/explain-alert';
import { loadRuntime } from '../app/runtime';
import { compileRules } from '../rules/compile-rules';
import { readRuleTests } from '../app/read-rule-tests';
import { runRuleTest, type CaseResult } from '../app/run-rule-tests';
import { parseAnyPayload } from '../sources/parse-any-payload';
import { openHistory } from '../store/open-history';
import { formatExplanationText, summarize, type ExplainDocument } from './format-explanation';
import type { CliIo } from './cli-io';
import { readDbPath, readSettings } from '../settings/read-settings';
import { isPostgresUrl } from '../store/db-url';
import { readInputFile } from './read-input-file';

export interface RulesTestFlags {
  config?: string;
  plugins?: string;
  db?: string;
  tests?: string;
  output: 'text' | 'json';
}

/**
 * `rune rules test <payload>`: what the rules would do with a payload, explained, nothing run;
 * `rune rules test --tests file`: rule unit tests. Exit 0 understood / all passed, 1 a case
 * failed, 2 an unreadable payload, test file or config.
 */
export async function rulesTestCommand(
  payloadFile: string | undefined,
  o: RulesTestFlags,
  io: CliIo,
  now: () => Date = () => new Date(),
): Promise<number> {
  if (o.tests !== undefined && payloadFile !== undefined)
    throw new RuneError('USAGE', 'give a payload file or --tests <file>, not both');
  if (o.tests === undefined && payloadFile === undefined)
    throw new RuneError('USAGE', 'give a payload file (rune rules test payload.json) or --tests rules.test.yaml');
  const settings = readSettings({ config: o.config, plugins: o.plugins }, io.env);
  // The service's own loading: schema, semantics, actions and literal params against the plugins.
  const runtime = loadRuntime(settings);
  const rules = compileRules(runtime.config.rules, runtime.config.defaults.on_failure);
  const env = { fallbackUser: settings.fallbackUser };
  if (o.tests !== undefined) return ruleTests(o.tests, o, io, (c) => runRuleTest(c, rules, runtime.config, env));

  const file = payloadFile as string;
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    io.stderr(`rune: cannot read payload ${file}: ${code ?? (err as Error).message}\n`);
    return 2;
  }
  const parsed = await parseAnyPayload(body, now().toISOString());
  if (!parsed.ok) {
    for (const p of parsed.problems) io.stderr(`${file}: ${p}\n`);
    return 2;
  }
  const dbPath = readDbPath(o, io.env);
  // A PostgreSQL URL is refused with its reason by openHistory; a missing file means no history yet.
  const history = existsSync(dbPath) || isPostgresUrl(dbPath) ? openHistory(dbPath) : null;
  try {
    const at = now().getTime();
    const ctx = {
      config: runtime.config,
      rules,
      registry: runtime.registry,
      guards: runtime.guards,
      env,
      now: at,
      history: history ? { facts: history.guardFacts.facts, jobsForKey: history.jobsForKey } : null,
    };
    const alerts = parsed.value.alerts.map((a) => explainAlert(a, ctx));
    const doc: ExplainDocument = {
      payload: { file, kind: parsed.value.kind, notes: parsed.value.notes },
      config: runtime.config.source,
      db: history ? dbPath : null,
      alerts,
      summary: summarize(alerts),
    };
    io.stdout(o.output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : formatExplanationText(doc));
    return 0;
  } finally {
    history?.close();
  }
}

function ruleTests(
  path: string,
  o: RulesTestFlags,
  io: CliIo,
  run: (c: Parameters<typeof runRuleTest>[0]) => CaseResult,
): number {
  const text = readInputFile(path, io);
  if (text === null) return 2;
  const { cases, errors } = readRuleTests(text, path);
  if (errors.length > 0) {
    for (const e of errors) io.stderr(`${formatProblem(e)}\n`);
    io.stderr(`${errors.length} problem(s) in ${path}\n`);
    return 2;
  }
  const results = cases.map(run);
  const failed = results.filter((r) => !r.passed);
  if (o.output === 'json') {
    const doc = { file: path, passed: results.length - failed.length, failed: failed.length, cases: results };
    io.stdout(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    const out: string[] = [];
    for (const r of results) {
      const where = `${path}${r.line !== null ? `:${r.line}` : ''}`;
      if (r.passed) {
        out.push(`ok    ${r.name}`);
        continue;
      }
      out.push(`FAIL  ${r.name}  (${where})`);
      out.push('      expected (-) vs got (+):');
      for (const d of r.diff) out.push(`      ${d}`);
      if (r.diff.length === 0) out.push('        (nothing expected, nothing got)');
      for (const n of r.notes) out.push(`      note: ${n}`);
    }
    out.push('');
    const verdict = failed.length === 0 ? 'PASS' : 'FAIL';
    const passed = results.length - failed.length;
    out.push(`${verdict}: ${passed} passed, ${failed.length} failed, ${results.length} case(s) in ${path}`);
    io.stdout(`${out.join('\n')}\n`);
  }
  return failed.length > 0 ? 1 : 0;
}
