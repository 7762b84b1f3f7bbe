import type { TransportKind } from '../core/types';
import { deliveryTimeoutSeconds } from './ssm-command';
import { BACKSTOP_MARGIN_MS, KILL_GRACE_MS } from './transport';

/**
 * How long after it started a run can still be going on its node, whatever happens to RUNE: the
 * plugin's timeout (the node-side `timeout` ends it), its kill grace and RUNE's backstop margin;
 * over SSM also the window in which the agent may still pick the command up (docs/transports.md).
 * After a crash, a node stays held for this long (docs/safety.md, Outcome unknown).
 */
export function runWindowMs(transport: TransportKind, timeoutMs: number): number {
  const delivery = transport === 'ssm' ? deliveryTimeoutSeconds(timeoutMs) * 1000 : 0;
  return timeoutMs + delivery + KILL_GRACE_MS + BACKSTOP_MARGIN_MS;
}
