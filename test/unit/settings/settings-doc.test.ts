/**
 * One settings reader (src/settings/read-settings.ts): no other src/ file reads a RUNE_* variable,
 * and docs/configuration.md's Settings table has exactly one row for each variable it reads.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const READER = join(ROOT, 'src', 'settings', 'read-settings.ts');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const variablesIn = (text: string) => new Set(text.match(/\b(?:RUNE_[A-Z0-9_]+|SSH_AUTH_SOCK)\b/g) ?? []);

test('no src/ file but src/settings/read-settings.ts reads a RUNE_* variable', () => {
  // env.RUNE_X, env['RUNE_X'], process.env.RUNE_X: the ways a variable is read by name.
  const read = /\benv\s*(?:\.\s*RUNE_|\[\s*['"`]RUNE_)/;
  const offenders = tsFiles(join(ROOT, 'src'))
    .filter((f) => f !== READER)
    .filter((f) => read.test(readFileSync(f, 'utf8')))
    .map((f) => relative(ROOT, f));
  expect(offenders).toEqual([]);
  expect(read.test(readFileSync(READER, 'utf8'))).toBe(true);
});

test('docs/configuration.md has one table row for each variable the reader reads, and no other', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
  const rows = [...doc.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1] as string);
  const read = variablesIn(readFileSync(READER, 'utf8'));
  expect(rows.filter((v, i) => rows.indexOf(v) !== i)).toEqual([]); // each once
  expect([...rows].sort()).toEqual([...read].sort());
  expect(read.size).toBeGreaterThan(15);
});

test('each default is written once in src/: the database path, the rules file, the listen address', () => {
  const sources = tsFiles(join(ROOT, 'src')).map((f) => readFileSync(f, 'utf8'));
  const count = (text: string) => sources.reduce((n, s) => n + s.split(text).length - 1, 0);
  // Help texts quote src/settings/defaults.ts rather than repeat these.
  expect({ db: count('./data/rune.db'), rules: count('./rules.yaml'), listen: count("'127.0.0.1:9095'") }).toEqual({
    db: 1,
    rules: 1,
    listen: 1,
  });
});
