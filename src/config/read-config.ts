import { readFileSync } from 'node:fs';
import { RuneError } from '../core/errors';
import { EMBEDDED_CONFIG, type ConfigCheck, type ConfigProblem, type RuneConfig } from './config-types';
import { validateConfig } from './validate-config';

/** Formats one problem as `file:line: path: message`, the way compilers do, with its code when it has one. */
export function formatProblem(p: ConfigProblem): string {
  const code = p.code === undefined ? '' : ` [${p.code}]`;
  return `${p.file}${p.line !== null ? `:${p.line}` : ''}: ${p.path ? `${p.path}: ` : ''}${p.message}${code}`;
}

/**
 * Reads rules.yaml. `explicit` says whether the user named the file (flag or RUNE_CONFIG): a named
 * file must exist; the default path may be absent, and then the embedded defaults apply. `checks`
 * run after the schema on what parsed (validateConfig); the error lists every problem of all of them.
 */
export function readConfig(path: string, explicit: boolean, checks: readonly ConfigCheck[] = []): RuneConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return { ...EMBEDDED_CONFIG, source: '<embedded defaults>' };
    throw new RuneError('CONFIG_INVALID', `cannot read config ${path}: ${code ?? (err as Error).message}`, {
      file: path,
    });
  }
  const outcome = validateConfig(text, path, checks);
  if (!outcome.value) {
    throw new RuneError(
      'CONFIG_INVALID',
      `${path} is invalid:\n${outcome.errors.map((e) => `  ${formatProblem(e)}`).join('\n')}`,
      {
        file: path,
        problems: outcome.errors,
      },
    );
  }
  return outcome.value;
}
