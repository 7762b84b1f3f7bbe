import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CATALOGUE } from '../../src/core/errors';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the generator is a plain script
const { withCatalogue } = require('../../scripts/write-errors-doc.js') as {
  withCatalogue: (doc: string, catalogue: unknown) => string;
};

const path = join(__dirname, '..', '..', 'docs', 'errors.md');

test('docs/errors.md holds the catalogue exactly as generated (npm run docs:errors)', () => {
  const doc = readFileSync(path, 'utf8');
  expect(doc).toBe(withCatalogue(doc, ERROR_CATALOGUE));
});

test('every code has its own row with its stage, exit code and HTTP status', () => {
  const doc = readFileSync(path, 'utf8');
  for (const [code, e] of Object.entries(ERROR_CATALOGUE)) {
    expect(doc).toContain(`| \`${code}\` | ${e.stage} | ${e.exit} | ${e.http} |`);
  }
});
