import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateMetaschema } from '../../../src/plugins/params-metaschema.generated';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the generator is a plain script
const { paramsMetaschemaSource } = require('../../../scripts/write-params-metaschema.js') as {
  paramsMetaschemaSource: () => string;
};

test('committed meta-schema check is what installed ajv generates (node scripts/write-params-metaschema.js)', () => {
  const committed = readFileSync(join(__dirname, '..', '..', '..', 'src', 'plugins', 'params-metaschema.generated.ts'));
  expect(committed.toString('utf8') === paramsMetaschemaSource()).toBe(true);
});

test('it accepts a params schema and names what is wrong with a broken one', () => {
  expect(validateMetaschema({ type: 'object', properties: { since: { type: 'string', default: '30m' } } })).toBe(true);
  expect(validateMetaschema({ type: 'object', properties: { a: { type: 'nonsense' } } })).toBe(false);
  expect(validateMetaschema.errors?.[0]).toMatchObject({
    instancePath: '/properties/a/type',
    message: 'must be equal to one of the allowed values',
  });
  expect(validateMetaschema({ type: 'object', required: 'a' })).toBe(false);
});
