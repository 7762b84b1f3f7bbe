import type { AuditRecord } from '../store/store';
import type { AppContext } from './context';

/** Who did something, and from where (the request's address, or `rune` for RUNE's own acts). */
export interface Caller {
  actor: string;
  source: string;
}

/** One record in the append-only audit log (docs/security.md): who, from where, what, on what, why. */
export function recordAudit(
  ctx: Pick<AppContext, 'store' | 'now'>,
  who: Caller,
  action: string,
  target: string,
  details: Record<string, unknown> = {},
): void {
  const record: AuditRecord = { at: ctx.now().toISOString(), ...who, action, target, details };
  ctx.store.audit(record);
}
