import { RuneError } from '../core/errors';
import { knownHostsName, type HostKeyVerdict } from './known-hosts';
import type { Target } from './transport';

/**
 * A refused host key, said so that an operator can act: the fingerprint offered, where known_hosts
 * is, and for an unknown key the command that adds it once checked out of band.
 */
export function hostKeyError(t: Target, v: Exclude<HostKeyVerdict, { ok: true }>, knownHostsPath: string): RuneError {
  const name = knownHostsName(t.address, t.port);
  const scan = `ssh-keyscan -p ${t.port} -t ${v.offeredType.replace(/^ssh-/, '')} ${t.address}`;
  const details = {
    node: t.node,
    host: name,
    offered_key_type: v.offeredType,
    offered_fingerprint: v.fingerprint,
    known_hosts: knownHostsPath,
  };
  if (v.reason === 'unknown') {
    return new RuneError(
      'HOST_KEY_UNKNOWN',
      `host key of ${t.node} (${name}) is not in ${knownHostsPath}; it offered ${v.offeredType} ${v.fingerprint}. ` +
        `Check that fingerprint out of band, then add it: ${scan} >> ${knownHostsPath}`,
      details,
    );
  }
  return new RuneError(
    'HOST_KEY_MISMATCH',
    v.reason === 'revoked'
      ? `host key of ${t.node} (${name}) is marked @revoked in ${knownHostsPath}; refusing to connect`
      : `host key of ${t.node} (${name}) does not match ${knownHostsPath}: it offered ${v.offeredType} ` +
          `${v.fingerprint}. Someone may be intercepting the connection, or the node was rebuilt; refusing to connect`,
    details,
  );
}

/** Why a connection failed, as a catalogue code an operator can act on (docs/errors.md). */
export function connectError(
  t: Target,
  err: Error & { level?: string; code?: string },
  verdict: HostKeyVerdict | null,
  o: { knownHostsPath: string; withAgent: boolean },
): RuneError {
  if (verdict && !verdict.ok) return hostKeyError(t, verdict, o.knownHostsPath);
  const where = `${t.user}@${t.address}:${t.port}`;
  const details = { node: t.node, address: t.address, port: t.port, user: t.user, cause: err.message };
  if (err.level === 'client-authentication') {
    const keys = o.withAgent ? ' and agent keys' : '';
    return new RuneError('SSH_AUTH_FAILED', `${t.node}: ${where} refused our key${keys} (${err.message})`, details);
  }
  if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT') {
    const message = `${t.node}: no SSH handshake with ${t.address}:${t.port} within ${t.connectTimeoutMs} ms`;
    return new RuneError('CONNECT_TIMEOUT', message, details);
  }
  if (err.code === 'ECONNREFUSED') {
    const message = `${t.node}: connection refused by ${t.address}:${t.port} (is sshd running there?)`;
    return new RuneError('CONNECT_REFUSED', message, details);
  }
  if (err.code && ['ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'].includes(err.code)) {
    return new RuneError('NODE_UNREACHABLE', `${t.node}: cannot reach ${t.address}:${t.port} (${err.code})`, details);
  }
  const message = `${t.node}: SSH connection to ${t.address}:${t.port} failed: ${err.message}`;
  return new RuneError('CONNECTION_LOST', message, details);
}

/** The jump host could not open the tunnel to the node (direct-tcpip refused or failed). */
export function jumpError(t: Target & { jump: NonNullable<Target['jump']> }, reason: string): RuneError {
  const details = {
    node: t.node,
    address: t.address,
    port: t.port,
    jump: `${t.jump.user}@${t.jump.address}:${t.jump.port}`,
    cause: reason,
  };
  const via = `jump host ${t.jump.address}:${t.jump.port}`;
  if (/connection refused/i.test(reason)) {
    const message =
      `${t.node}: connection refused by ${t.address}:${t.port}, as seen from ${via} ` + '(is sshd running there?)';
    return new RuneError('CONNECT_REFUSED', message, details);
  }
  return new RuneError(
    'NODE_UNREACHABLE',
    `${t.node}: ${via} could not open a connection to ${t.address}:${t.port} (${reason}); does it allow ` +
      'TCP forwarding (AllowTcpForwarding, PermitOpen) and reach the node?',
    details,
  );
}
