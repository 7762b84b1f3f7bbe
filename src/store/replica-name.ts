import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** A name for this process among RUNE's replicas: host, pid and a random part (a restart is a new replica). */
export function replicaName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
