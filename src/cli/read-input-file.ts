import { readFileSync } from 'node:fs';
import type { CliIo } from './cli-io';

/** A file the user named, as text; or null after saying on stderr why it cannot be read (then exit 2). */
export function readInputFile(path: string, io: CliIo): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    io.stderr(`rune: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return null;
  }
}
