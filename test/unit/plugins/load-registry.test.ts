import { join } from 'node:path';
import { createParamsAjv, loadRegistry } from '../../../src/plugins/load-registry';

const BROKEN = join(__dirname, '..', '..', 'fixtures', 'broken-plugins');

test('broken plugin files are reported with file and reason, and the healthy one is still listed', () => {
  const reg = loadRegistry(BROKEN);
  expect([...reg.plugins.keys()]).toEqual(['echo']);
  const byFile = Object.fromEntries(reg.problems.map((p) => [p.file.split('/').pop(), p.reason]));
  expect(byFile['no-meta.sh']).toMatch(/line 2 must open the metadata block/);
  expect(byFile['bad-version.sh']).toMatch(/version "one" is not semver/);
  expect(byFile['wrong-name.sh']).toMatch(/name "other" must equal the file stem "wrong-name"/);
  expect(byFile['bad-schema.sh']).toMatch(/params schema does not compile/);
  for (const p of reg.problems) expect(p.file.startsWith(BROKEN)).toBe(true);
});

test('a missing plugins folder is a reported problem, not a crash', () => {
  const reg = loadRegistry('/nonexistent/plugins');
  expect(reg.plugins.size).toBe(0);
  expect(reg.problems[0]!.reason).toMatch(/cannot read plugins folder: ENOENT/);
});

test('params defaults are applied by the validator and unknown params rejected', () => {
  const reg = loadRegistry(join(__dirname, '..', '..', 'fixtures', 'plugins'));
  const v = reg.validator('echo');
  const params: Record<string, unknown> = {};
  expect(v(params)).toBe(true);
  expect(params).toEqual({ message: 'hello' });
  expect(v({ nope: 1 })).toBe(false);
});

test('the params ajv does not check schemas against the meta-schema again (discovery did, ahead of time)', () => {
  // Checking would compile the draft-07 meta-schema at the first validation of every `rune run`.
  const ajv = createParamsAjv();
  expect(ajv.opts.validateSchema).toBe(false);
  const v = ajv.compile({ type: 'object', properties: { n: { type: 'integer', default: 1 } } });
  const params: Record<string, unknown> = {};
  expect(v(params)).toBe(true);
  expect(params).toEqual({ n: 1 });
});
