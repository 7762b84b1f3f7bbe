import { nodeGlobToRegExp } from '../util/glob';

/**
 * Who is calling, and what they may do (docs/security.md). The contract every authenticated
 * surface shares: the REST API, the dashboard, the CLI's server commands and the incident action.
 */

export type Role = 'viewer' | 'operator' | 'admin';

/** read: history, results, catalogue, rules. run: manual runs, retry, cancel. admin: reload, pause, breakers, audit. */
export type Permission = 'read' | 'run' | 'admin';

export interface Actor {
  /** The token's name (`rune tokens add NAME`); recorded as the actor in the audit log. */
  name: string;
  role: Role;
  /** operator only: the actions this token may run; null = every action. */
  actions: string[] | null;
  /** operator only: node name globs (`*`, `?`) this token may touch; null = every node. */
  nodes: string[] | null;
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
const NEEDS: Record<Permission, Role> = { read: 'viewer', run: 'operator', admin: 'admin' };

/**
 * Whether `actor` may do `permission` (for `run`: on this action and node). Roles are ordered
 * viewer < operator < admin; an admin may run anything; an operator's lists narrow what it runs.
 */
export function allows(actor: Actor, permission: Permission, target?: { action: string; node: string }): boolean {
  if (RANK[actor.role] < RANK[NEEDS[permission]]) return false;
  if (permission !== 'run' || actor.role === 'admin' || !target) return true;
  if (actor.actions && !actor.actions.includes(target.action)) return false;
  if (actor.nodes && !actor.nodes.some((g) => nodeGlobToRegExp(g).test(target.node))) return false;
  return true;
}
