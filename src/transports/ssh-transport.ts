import type { ClientChannel } from 'ssh2';
import { RuneError } from '../core/errors';
import { createSshPool, type PooledConnection } from './ssh-pool';
import { runOnChannel } from './ssh-session';
import {
  DEFAULT_CAPTURE_LIMITS,
  KILL_GRACE_MS,
  type CaptureLimits,
  type ExecOutcome,
  type ExecRequest,
  type Transport,
} from './transport';
import { buildWrapperScript, shSingleQuote } from './wrapper-script';

export interface SshOptions {
  /** Private key file (RUNE_SSH_KEY). */
  keyPath?: string;
  /** ssh-agent socket (SSH_AUTH_SOCK). */
  agentSock?: string;
  /** known_hosts file (RUNE_SSH_KNOWN_HOSTS). */
  knownHostsPath: string;
  /** Close a pooled connection after this long without runs. */
  idleMs?: number;
  /** Channels at once on one connection; OpenSSH's MaxSessions defaults to 10. */
  maxChannels?: number;
  limits?: CaptureLimits;
  now?: () => number;
}

/**
 * SSH transport on ssh2 (docs/architecture.md, Remote execution): the plugin and its wrapper go in
 * the command line as one single-quoted script that takes no input from labels or params; the
 * payload travels on stdin. Connections come from the pool (ssh-pool.ts); a run is one session
 * channel (ssh-session.ts).
 */
export function createSshTransport(opts: SshOptions): Transport & { poolSize(): number } {
  const limits = opts.limits ?? DEFAULT_CAPTURE_LIMITS;
  const now = opts.now ?? Date.now;
  const pool = createSshPool({
    ...(opts.keyPath ? { keyPath: opts.keyPath } : {}),
    ...(opts.agentSock ? { agentSock: opts.agentSock } : {}),
    knownHostsPath: opts.knownHostsPath,
    idleMs: opts.idleMs ?? 60_000,
    maxChannels: opts.maxChannels ?? 8,
  });

  function openChannel(conn: PooledConnection, command: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) => conn.client.exec(command, (err, ch) => (err ? reject(err) : resolve(ch))));
  }

  return {
    kind: 'ssh',
    poolSize: () => pool.size(),
    async close() {
      pool.closeAll();
    },
    async exec(req: ExecRequest): Promise<ExecOutcome> {
      const t = req.target;
      const conn = await pool.acquire(t);
      try {
        const script = buildWrapperScript({
          script: req.script,
          timeoutMs: req.timeoutMs,
          become: req.plugin.become,
          killGraceMs: KILL_GRACE_MS,
        });
        let channel: ClientChannel;
        try {
          channel = await openChannel(conn, `exec /bin/sh -c ${shSingleQuote(script)}`);
        } catch (err) {
          const why = (err as Error).message;
          throw new RuneError('CONNECTION_LOST', `${t.node}: could not open an SSH session channel: ${why}`, {
            node: t.node,
          });
        }
        return await runOnChannel(channel, conn.client, req, limits, now);
      } finally {
        pool.release(conn);
      }
    },
  };
}
