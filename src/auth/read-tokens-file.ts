import { RuneError } from '../core/errors';
import { parseTokensFile, type StoredToken } from './parse-tokens-file';

/**
 * Reads and checks RUNE_API_TOKENS_FILE. Any bad line refuses the whole file (CONFIG_INVALID, every
 * problem as file:line): a half-read tokens file would lock out or let in the wrong people.
 */
export function readTokensFile(path: string, readFile: (path: string) => string): StoredToken[] {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    throw new RuneError(
      'CONFIG_INVALID',
      `cannot read RUNE_API_TOKENS_FILE ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { problems: [`${path}: cannot be read`] },
    );
  }
  const { tokens, errors } = parseTokensFile(text, path);
  if (errors.length > 0)
    throw new RuneError(
      'CONFIG_INVALID',
      `the tokens file ${path} is invalid:\n${errors.map((e) => `  ${e}`).join('\n')}`,
      { problems: errors },
    );
  return tokens;
}
