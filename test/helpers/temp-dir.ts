import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from './live-resources';

const untrackers = new Map<string, () => void>();

/** A fresh `rune-<name>-XXXXXX` folder under the system temp dir; remove it with removeTempDir. */
export function makeTempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `rune-${name}-`));
  untrackers.set(
    dir,
    track(`temp dir ${dir}`, () => removeTempDir(dir)),
  );
  return dir;
}

/** Removes a folder made by makeTempDir (and anything in it); undefined (a failed beforeAll) is fine. */
export function removeTempDir(dir: string | undefined): void {
  if (!dir) return;
  rmSync(dir, { recursive: true, force: true });
  untrackers.get(dir)?.();
  untrackers.delete(dir);
}
