import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { ruleTestsSchemaJson } from '../../../src/app/rule-tests-schema';

const ROOT = join(__dirname, '..', '..', '..');

test('rules.test.schema.json is what scripts/write-rule-tests-schema.js writes, and accepts the shipped file', () => {
  const committed = readFileSync(join(ROOT, 'rules.test.schema.json'), 'utf8');
  if (committed !== ruleTestsSchemaJson())
    throw new Error('rules.test.schema.json is out of date: run `npm run schema` and commit the result');
  const validate = new Ajv({ strict: false }).compile(JSON.parse(committed) as object);
  expect(validate(parse(readFileSync(join(ROOT, 'rules.test.yaml'), 'utf8')))).toBe(true);
  expect(
    validate({
      tests: [{ name: 'x', alerts: [{ labels: {} }], expect: [{ rule: 'r', action: 'a', node: 'n', extra: 1 }] }],
    }),
  ).toBe(false);
});
