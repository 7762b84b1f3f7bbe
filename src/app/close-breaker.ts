import type { Actor } from '../auth/actor';
import { RuneError } from '../core/errors';
import { closedBreaker, type BreakerState } from '../core/guard-state';
import type { AppContext } from './context';
import { recordAudit } from './record-audit';

/** An operator closes a rule's circuit breaker (docs/safety.md): its alerts run again at once. */
export function closeBreaker(
  ctx: AppContext,
  actor: Actor,
  source: string,
  rule: string,
  reason: string | null,
): { before: BreakerState; after: BreakerState } {
  const known = ctx.runtime().guards.has(rule) || ctx.store.listBreakers().some((b) => b.rule === rule);
  if (!known) throw new RuneError('NOT_FOUND', `no rule ${JSON.stringify(rule)}`);
  const change = ctx.store.updateBreaker(rule, () => closedBreaker(rule));
  const details = { was: change.before.state, failures: change.before.failures, reason };
  recordAudit(ctx, { actor: actor.name, source }, 'breaker-close', `rule ${rule}`, details);
  ctx.log.warn({ actor: actor.name, rule, was: change.before.state }, 'circuit breaker closed by an operator');
  return change;
}
