import { allows, type Actor, type Permission, type Role } from '../auth/actor';
import { RuneError } from '../core/errors';
import type { AppContext } from './context';
import { recordAudit } from './record-audit';

const NEEDS: Record<Permission, Role> = { read: 'viewer', run: 'operator', admin: 'admin' };

/** What a caller wants to run: an action on a node. */
export interface RunTarget {
  action: string;
  node: string;
}

/** A refusal of a known caller: audited (who, what, why), then FORBIDDEN to throw. */
export function forbidden(
  ctx: Pick<AppContext, 'store' | 'now'>,
  actor: Actor,
  source: string,
  what: string,
  message: string,
  target?: RunTarget,
): RuneError {
  const on = target ? `${target.action} on ${target.node}` : what;
  recordAudit(ctx, { actor: actor.name, source }, 'refused', on, { role: actor.role, reason: message });
  return new RuneError('FORBIDDEN', message);
}

/** The actor's role allows `permission`, or FORBIDDEN (audited). */
export function requirePermission(
  ctx: Pick<AppContext, 'store' | 'now'>,
  actor: Actor,
  source: string,
  permission: Permission,
  what: string,
): void {
  if (allows(actor, permission)) return;
  const message = `${what} needs role ${NEEDS[permission]}; token ${actor.name} has role ${actor.role}`;
  throw forbidden(ctx, actor, source, what, message);
}

/** An operator's scope (`actions=`, `nodes=`) covers this action on this node, or FORBIDDEN (audited). */
export function requireScope(
  ctx: Pick<AppContext, 'store' | 'now'>,
  actor: Actor,
  source: string,
  what: string,
  target: RunTarget,
): void {
  const outside = outsideScope(actor, target);
  if (outside !== null) throw forbidden(ctx, actor, source, what, outside, target);
}

/** Why an operator's scope does not cover this action on this node, or null when it does. */
export function outsideScope(actor: Actor, target: RunTarget): string | null {
  if (allows(actor, 'run', target)) return null;
  const which =
    actor.actions && !actor.actions.includes(target.action)
      ? `action ${target.action} (it may run ${actor.actions.join(', ')})`
      : `node ${target.node} (it may touch ${(actor.nodes ?? []).join(', ')})`;
  return `token ${actor.name} may not run ${which}`;
}
