import type { Role } from './actor';

/** One line of the tokens file (docs/security.md): the hash only, never the token. */
export interface StoredToken {
  name: string;
  role: Role;
  /** The 32-byte SHA-256 of the token (hash-token.ts). */
  hash: Buffer;
  /** operator only: the actions it may run; null = all. */
  actions: string[] | null;
  /** operator only: node globs it may touch; null = all. */
  nodes: string[] | null;
  line: number;
}

export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
/** Names go into the audit log and job triggers: short, no spaces, nothing to escape. */
export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** The same shape as plugin names (src/core/plugin-name.ts). */
const ACTION_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Node globs: inventory names with `*` and `?`; no commas or spaces (they separate). */
const NODE_GLOB_PATTERN = /^[A-Za-z0-9_.:*?[\]-]{1,253}$/;
const HASH_PATTERN = /^sha256:([0-9a-f]{64})$/;

const FORMAT = 'NAME ROLE sha256:<hex> [actions=a,b] [nodes=glob,glob]';
const FIX = 'create tokens with `rune tokens add NAME --role viewer|operator|admin`';

/** Checks one scope list (`actions=` or `nodes=`); null when fine, else the problem. */
export function scopeProblem(kind: 'actions' | 'nodes', values: string[]): string | null {
  if (values.length === 0 || values.some((v) => v === ''))
    return `${kind}= needs a comma-separated list without empty entries`;
  const pattern = kind === 'actions' ? ACTION_PATTERN : NODE_GLOB_PATTERN;
  const bad = values.find((v) => !pattern.test(v));
  if (bad !== undefined)
    return kind === 'actions'
      ? `actions=: ${JSON.stringify(bad)} is not an action name (lower case, digits, -)`
      : `nodes=: ${JSON.stringify(bad)} is not a node name or glob (letters, digits, . _ : - * ? [ ])`;
  return null;
}

/** Checks a token name and role as `rune tokens add` takes them; null when fine. */
export function nameProblem(name: string): string | null {
  return TOKEN_NAME_PATTERN.test(name)
    ? null
    : `token name ${JSON.stringify(name.slice(0, 80))} must be 1-64 letters, digits, . _ @ - ` +
        '(starting with a letter or digit)';
}

export function roleProblem(role: string): string | null {
  return (ROLES as readonly string[]).includes(role)
    ? null
    : `role ${JSON.stringify(role.slice(0, 40))} must be one of ${ROLES.join(', ')}`;
}

/**
 * Pure: the tokens file's text → its tokens, or every problem as `file:line: …`. A line is never
 * echoed back: an old file may hold plaintext tokens, and error messages end up in logs.
 */
export function parseTokensFile(text: string, file: string): { tokens: StoredToken[]; errors: string[] } {
  const tokens: StoredToken[] = [];
  const errors: string[] = [];
  const names = new Map<string, number>();
  const hashes = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const content = raw.trim();
    if (content === '' || content.startsWith('#')) return;
    const where = `${file}:${line}`;
    const problem = (what: string) => errors.push(`${where}: ${what}`);
    const fields = content.split(/\s+/);
    const [name = '', role = '', hash = '', ...options] = fields;
    const hashMatch = HASH_PATTERN.exec(hash);
    if (fields.length < 3 || !hashMatch) {
      // The usual case: a plaintext token (`name:token`) from before roles and hashing.
      problem(
        `not a token line (expected ${FORMAT}); the file holds only hashes of tokens: delete this line and ${FIX}`,
      );
      return;
    }
    const nameBad = nameProblem(name);
    if (nameBad) return void problem(nameBad);
    const roleBad = roleProblem(role);
    if (roleBad) return void problem(roleBad);
    let actions: string[] | null = null;
    let nodes: string[] | null = null;
    for (const opt of options) {
      const m = /^(actions|nodes)=(.*)$/.exec(opt);
      if (!m) return void problem(`unknown field ${JSON.stringify(opt.slice(0, 40))} (expected actions=… or nodes=…)`);
      const kind = m[1] as 'actions' | 'nodes';
      if ((kind === 'actions' ? actions : nodes) !== null) return void problem(`${kind}= given twice`);
      const values = (m[2] as string).split(',');
      const bad = scopeProblem(kind, values);
      if (bad) return void problem(bad);
      if (kind === 'actions') actions = values;
      else nodes = values;
    }
    if ((actions || nodes) && role !== 'operator')
      return void problem(`actions= and nodes= narrow an operator token; a ${role} token cannot have them`);
    const seenName = names.get(name);
    if (seenName !== undefined) return void problem(`token name ${name} is already used on line ${seenName}`);
    const hex = hashMatch[1] as string;
    const seenHash = hashes.get(hex);
    if (seenHash !== undefined)
      return void problem(`the same token hash is already on line ${seenHash}: one token, one name`);
    names.set(name, line);
    hashes.set(hex, line);
    tokens.push({ name, role: role as Role, hash: Buffer.from(hex, 'hex'), actions, nodes, line });
  });
  return { tokens, errors };
}
