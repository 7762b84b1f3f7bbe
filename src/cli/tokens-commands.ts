import { closeSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { stringify as toYaml } from 'yaml';
import { formatTokenLine } from '../auth/format-token-line';
import { generateToken } from '../auth/generate-token';
import { hashToken } from '../auth/hash-token';
import { nameProblem, parseTokensFile, roleProblem, scopeProblem, type StoredToken } from '../auth/parse-tokens-file';
import { RuneError } from '../core/errors';
import { readTokensFilePath } from '../settings/read-settings';
import { formatTable } from './format-table';

export interface TokensIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
}

export interface TokensAddFlags {
  role?: string;
  actions?: string;
  nodes?: string;
  file?: string;
}

/** --file, else RUNE_API_TOKENS_FILE: the file `rune serve` reads. */
function tokensFile(flags: { file?: string | undefined }, env: NodeJS.ProcessEnv): string {
  const file = readTokensFilePath(flags, env);
  if (!file) throw new RuneError('USAGE', 'which tokens file? give --file PATH or set RUNE_API_TOKENS_FILE');
  return file;
}

function readExisting(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RuneError(
      'USAGE',
      `cannot read the tokens file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

const list = (v: string | undefined): string[] | null => (v === undefined ? null : v.split(',').map((x) => x.trim()));

/**
 * `rune tokens add NAME --role R`: appends `NAME ROLE sha256:<hex> [actions=…] [nodes=…]` (the
 * file is created with mode 0600) and prints the new token on stdout, the only time it is shown.
 */
export function tokensAdd(
  name: string,
  flags: TokensAddFlags,
  io: TokensIo,
  newToken: () => string = generateToken,
): number {
  const file = tokensFile(flags, io.env);
  if (flags.role === undefined) throw new RuneError('USAGE', 'say what the token may do: --role viewer|operator|admin');
  const problems = [nameProblem(name), roleProblem(flags.role)];
  const actions = list(flags.actions);
  const nodes = list(flags.nodes);
  if (actions) problems.push(scopeProblem('actions', actions));
  if (nodes) problems.push(scopeProblem('nodes', nodes));
  if ((actions || nodes) && flags.role !== 'operator')
    problems.push('--actions and --nodes narrow an operator token; use them with --role operator');
  const first = problems.find((p) => p !== null);
  if (first) throw new RuneError('USAGE', first);

  const text = readExisting(file);
  if (text !== null) {
    const parsed = parseTokensFile(text, file);
    if (parsed.tokens.some((t) => t.name === name))
      throw new RuneError(
        'USAGE',
        `a token named ${name} is already in ${file}; choose another name, or \`rune tokens remove ${name}\` first`,
      );
    // Old plaintext lines stay refused by the server until deleted: say so, but let the new line in.
    for (const e of parsed.errors) io.stderr(`rune: warning: ${e}\n`);
  }
  const token = newToken();
  const line = formatTokenLine({ name, role: flags.role, hash: hashToken(token), actions, nodes });
  // 0600 when created: the file holds only hashes, but who has which role is nobody else's business.
  const fd = openSync(file, 'a', 0o600);
  try {
    writeSync(fd, `${text !== null && text !== '' && !text.endsWith('\n') ? '\n' : ''}${line}\n`);
  } finally {
    closeSync(fd);
  }
  io.stdout(`${token}\n`);
  const scope = `${actions ? `, actions ${actions.join(',')}` : ''}${nodes ? `, nodes ${nodes.join(',')}` : ''}`;
  io.stderr(
    `rune: added token ${name} (role ${flags.role}${scope}) to ${file}.\n` +
      'rune: the token above is shown only now; store it (RUNE_TOKEN for the CLI). ' +
      'A running server picks it up on SIGHUP or POST /-/reload.\n',
  );
  return 0;
}

/** `rune tokens list`: names, roles and scopes; never hashes. Exit 2 when the file has bad lines. */
export function tokensList(flags: { file?: string; output?: string }, io: TokensIo): number {
  const file = tokensFile(flags, io.env);
  const text = readExisting(file);
  if (text === null) throw new RuneError('USAGE', `no tokens file at ${file} (rune tokens add creates it)`);
  const { tokens, errors } = parseTokensFile(text, file);
  const shown = tokens.map((t: StoredToken) => ({ name: t.name, role: t.role, actions: t.actions, nodes: t.nodes }));
  if (flags.output === 'json') io.stdout(`${JSON.stringify({ tokens: shown }, null, 2)}\n`);
  else if (flags.output === 'yaml') io.stdout(toYaml({ tokens: shown }));
  else if (shown.length === 0) io.stdout(`no tokens in ${file}\n`);
  else {
    const rows = shown.map((t) => [t.name, t.role, t.actions?.join(',') ?? '*', t.nodes?.join(',') ?? '*']);
    io.stdout(formatTable(rows, ['NAME', 'ROLE', 'ACTIONS', 'NODES']));
  }
  for (const e of errors) io.stderr(`rune: ${e}\n`);
  return errors.length > 0 ? 2 : 0;
}

/** `rune tokens remove NAME`: rewrites the file without that line (atomically, mode 0600). */
export function tokensRemove(name: string, flags: { file?: string }, io: TokensIo): number {
  const file = tokensFile(flags, io.env);
  const text = readExisting(file);
  if (text === null) throw new RuneError('USAGE', `no tokens file at ${file}`);
  const found = parseTokensFile(text, file).tokens.find((t) => t.name === name);
  if (!found) throw new RuneError('USAGE', `no token named ${name} in ${file} (rune tokens list shows them)`);
  const lines = text.split('\n');
  lines.splice(found.line - 1, 1);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, lines.join('\n'), { mode: 0o600 });
  renameSync(tmp, file);
  io.stderr(`rune: removed token ${name} from ${file}; a running server forgets it on SIGHUP or POST /-/reload.\n`);
  return 0;
}
