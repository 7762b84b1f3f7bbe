import Ajv from 'ajv';
import { CONFIG_SCHEMA } from '../../../src/config/config-schema';

type Schema = {
  description?: unknown;
  examples?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  type?: unknown;
};

/** Every key of rules.yaml (each property, at any depth, through arrays) with its dotted path. */
function keys(schema: Schema, path = ''): { path: string; schema: Schema }[] {
  const out: { path: string; schema: Schema }[] = [];
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const p = path ? `${path}.${name}` : name;
    out.push({ path: p, schema: child }, ...keys(child, p));
    if (child.items) out.push(...keys(child.items, `${p}[]`));
  }
  return out;
}

/** A leaf holds a value an operator types: no keys below it (directly or in its array items). */
const isLeaf = (s: Schema) => !s.properties && !s.items?.properties;

test('every key of rules.yaml has a description, and every leaf has examples (editors show them)', () => {
  const all = keys(CONFIG_SCHEMA as unknown as Schema);
  expect(all.length).toBeGreaterThan(50);
  const noDescription = all
    .filter((k) => typeof k.schema.description !== 'string' || k.schema.description.length < 3)
    .map((k) => k.path);
  const noExamples = all
    .filter((k) => isLeaf(k.schema) && (!Array.isArray(k.schema.examples) || k.schema.examples.length === 0))
    .map((k) => k.path);
  if (noDescription.length || noExamples.length) {
    throw new Error(
      `config-schema.ts:\n  without description: ${noDescription.join(', ') || '-'}\n` +
        `  leaves without examples: ${noExamples.join(', ') || '-'}`,
    );
  }
  expect(typeof (CONFIG_SCHEMA as { description?: unknown }).description).toBe('string');
});

test('every example is valid against its own key schema (an example never teaches a wrong value)', () => {
  const ajv = new Ajv({ strict: false });
  const bad: string[] = [];
  for (const { path, schema } of keys(CONFIG_SCHEMA as unknown as Schema)) {
    if (!Array.isArray(schema.examples)) continue;
    const validate = ajv.compile(schema as object);
    for (const ex of schema.examples)
      if (!validate(ex)) bad.push(`${path}: ${JSON.stringify(ex)} (${ajv.errorsText(validate.errors)})`);
  }
  expect(bad).toEqual([]);
});

test('the walk finds a key without a description (the check can fail)', () => {
  const broken = {
    properties: {
      a: {
        type: 'object',
        description: 'x',
        properties: { b: { type: 'string', examples: ['v'] }, c: { type: 'string', description: 'c' } },
      },
    },
  };
  const found = keys(broken as Schema);
  expect(found.filter((k) => !k.schema.description).map((k) => k.path)).toEqual(['a.b']);
  expect(found.filter((k) => isLeaf(k.schema) && !k.schema.examples).map((k) => k.path)).toEqual(['a.c']);
});
