import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Real payloads (Alertmanager captures, PagerDuty deliveries with real signatures, SSM answers),
 * kept byte for byte in test/fixtures/; test/fixtures/SOURCES.md says where each one comes from.
 */
export const FIXTURES = join(__dirname, '..', 'fixtures');

/** A fixture's exact bytes (signatures are over raw bytes: never re-serialize). */
export function fixtureBytes(relPath: string): Buffer {
  return readFileSync(join(FIXTURES, relPath));
}

// `any` by default: payloads are read field by field in tests.
export function fixtureJson<T = any>(relPath: string): T {
  return JSON.parse(fixtureBytes(relPath).toString('utf8')) as T;
}
