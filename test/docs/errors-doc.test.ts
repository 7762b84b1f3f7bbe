import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CATALOGUE } from '../../src/errors';

test('every error code in the catalogue is documented in docs/errors.md with its exit code', () => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
  for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
    expect(doc).toContain(`| \`${code}\` | ${entry.stage} | ${entry.exit} |`);
  }
});
