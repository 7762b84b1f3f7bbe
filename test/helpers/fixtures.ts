import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `../shared/fixtures` beside the checkout (CI clones main with shared/ beside it). */
export const SHARED_FIXTURES = join(__dirname, '..', '..', '..', 'shared', 'fixtures');

/** A shared fixture's exact bytes (signatures are over raw bytes: never re-serialize). */
export function fixtureBytes(relPath: string): Buffer {
  return readFileSync(join(SHARED_FIXTURES, relPath));
}

export function fixtureJson<T = any>(relPath: string): T {
  return JSON.parse(fixtureBytes(relPath).toString('utf8')) as T;
}
