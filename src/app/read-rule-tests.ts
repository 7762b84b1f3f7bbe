import Ajv from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import type { ConfigProblem } from '../config/config-types';
import { decodePointer, lineAt, toDotted } from '../config/validate-config';
import { RULE_TESTS_SCHEMA } from './rule-tests-schema';

/** One expected invocation of a test case. */
export interface ExpectedInvocation {
  rule: string;
  action: string;
  node: string;
  params?: Record<string, unknown>;
}

export interface RuleTestCase {
  name: string;
  /** Line of the case in the file, for messages. */
  line: number | null;
  /** The alerts as written (checked again by parseBareAlerts when the case runs). */
  alerts: Record<string, unknown>[];
  expect: ExpectedInvocation[];
}

const validate = new Ajv({ allErrors: true, strict: false }).compile(RULE_TESTS_SCHEMA);

/** Pure: YAML text → cases, or every problem as file:line: path: message (the config's own format). */
export function readRuleTests(text: string, file: string): { cases: RuleTestCase[]; errors: ConfigProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, schema: 'core', prettyErrors: false });
  const lineOf = (offset: number | undefined) => (offset === undefined ? null : lineCounter.linePos(offset).line);
  const errors: ConfigProblem[] = [...doc.errors, ...doc.warnings].map((e) => ({
    file,
    line: lineOf(e.pos[0]),
    path: '',
    message: e.message.split('\n')[0] as string,
  }));
  if (errors.length > 0) return { cases: [], errors };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    return { cases: [], errors: [{ file, line: null, path: '', message: (err as Error).message }] };
  }
  if (!validate(data)) {
    for (const e of validate.errors ?? []) {
      const segments = e.instancePath.split('/').slice(1).map(decodePointer);
      const extra =
        e.keyword === 'additionalProperties'
          ? `: "${String(e.params.additionalProperty)}"`
          : e.keyword === 'enum'
            ? ` (${(e.params.allowedValues as string[]).join(', ')})`
            : '';
      const at = e.keyword === 'additionalProperties' ? [...segments, String(e.params.additionalProperty)] : segments;
      errors.push({
        file,
        line: lineAt(doc, at, lineOf),
        path: toDotted(segments),
        message: `${e.message ?? 'invalid'}${extra}`,
      });
    }
    return { cases: [], errors };
  }
  const tests = (data as { tests: Omit<RuleTestCase, 'line'>[] }).tests;
  return { cases: tests.map((t, i) => ({ ...t, line: lineAt(doc, ['tests', i], lineOf) })), errors: [] };
}
