import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { CONFIG_SCHEMA, rulesSchemaJson } from '../../../src/config/config-schema';

const ROOT = join(__dirname, '..', '..', '..');

test('rules.schema.json is what scripts/write-rules-schema.js writes from the current CONFIG_SCHEMA', () => {
  const committed = readFileSync(join(ROOT, 'rules.schema.json'), 'utf8');
  const expected = rulesSchemaJson();
  if (committed !== expected) {
    throw new Error(
      'rules.schema.json is out of date with src/config/config-schema.ts: ' +
        'run `npm run build && node scripts/write-rules-schema.js` and commit the result',
    );
  }
  const doc = JSON.parse(committed) as Record<string, unknown>;
  expect(doc.$schema).toBe('http://json-schema.org/draft-07/schema#');
  expect(doc.properties).toEqual(JSON.parse(JSON.stringify(CONFIG_SCHEMA.properties)));
  expect(committed.endsWith('}\n')).toBe(true);
});

test('the shipped rules.yaml points editors at the schema on its first line, and the schema accepts it', () => {
  const text = readFileSync(join(ROOT, 'rules.yaml'), 'utf8');
  expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./rules.schema.json');
  // A standard draft-07 validator (no RUNE code involved), as an editor would use.
  const validate = new Ajv({ strict: false }).compile(
    JSON.parse(readFileSync(join(ROOT, 'rules.schema.json'), 'utf8')) as object,
  );
  expect(validate(parse(text))).toBe(true);
  expect(validate({ rules: [{ name: 'x', matchers: ['a="b"'], steps: [{ action: 'noop', wait: 1 }] }] })).toBe(false);
});
