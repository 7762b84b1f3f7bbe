import { readFileSync, statSync } from 'node:fs';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { RuneError } from '../core/errors';
import {
  entriesFor,
  hostKeyAlgorithmsFor,
  parseKnownHosts,
  verifyHostKey,
  type HostKeyVerdict,
  type KnownHostEntry,
} from './known-hosts';
import { connectError, jumpError } from './ssh-errors';
import type { Target } from './transport';

export interface SshPoolOptions {
  /** Private key file (RUNE_SSH_KEY). */
  keyPath?: string;
  /** ssh-agent socket (SSH_AUTH_SOCK). */
  agentSock?: string;
  /** known_hosts file (RUNE_SSH_KNOWN_HOSTS). */
  knownHostsPath: string;
  /** Close a pooled connection after this long without runs. */
  idleMs: number;
  /** Channels at once on one connection; OpenSSH's MaxSessions defaults to 10. */
  maxChannels: number;
}

/** One authenticated connection, shared by the runs on its user@host:port (and jump host). */
export interface PooledConnection {
  key: string;
  client: Client;
  ready: Promise<void>;
  active: number;
  /** Connections tunnelled through this one (it is their jump host): it stays open for them. */
  holders: number;
  waiters: (() => void)[];
  idleTimer: NodeJS.Timeout | null;
  closed: boolean;
}

/**
 * SSH connections on ssh2, pooled (docs/architecture.md, Remote execution): strict known_hosts
 * (re-read when the file changes), key and/or agent, optional jump host, one connection per
 * user@host:port reused across runs, a bounded number of channels on each, closed when idle.
 */
export function createSshPool(opts: SshPoolOptions) {
  const pool = new Map<string, PooledConnection>();
  let privateKey: Buffer | undefined;
  let knownHosts: { entries: KnownHostEntry[]; mtimeMs: number } | undefined;

  function credentials(): { privateKey?: Buffer; agent?: string } {
    if (!opts.keyPath && !opts.agentSock) {
      throw new RuneError(
        'SSH_NO_CREDENTIALS',
        'no SSH credentials: set RUNE_SSH_KEY to a private key file, or run an ssh-agent (SSH_AUTH_SOCK)',
      );
    }
    if (opts.keyPath && !privateKey) {
      try {
        privateKey = readFileSync(opts.keyPath);
      } catch (err) {
        const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        throw new RuneError('SSH_NO_CREDENTIALS', `cannot read RUNE_SSH_KEY ${opts.keyPath}: ${why}`);
      }
    }
    return { ...(privateKey ? { privateKey } : {}), ...(opts.agentSock ? { agent: opts.agentSock } : {}) };
  }

  /** Re-read when the file changes, so a key an operator adds takes effect without a restart. */
  function loadKnownHosts(): KnownHostEntry[] {
    let mtimeMs = -1; // a missing file means every host is unknown, which is refused
    try {
      mtimeMs = statSync(opts.knownHostsPath).mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (!knownHosts || knownHosts.mtimeMs !== mtimeMs) {
      const entries = mtimeMs < 0 ? [] : parseKnownHosts(readFileSync(opts.knownHostsPath, 'utf8'));
      knownHosts = { entries, mtimeMs };
    }
    return knownHosts.entries;
  }

  function drop(conn: PooledConnection): void {
    if (conn.closed) return;
    conn.closed = true;
    if (conn.idleTimer) clearTimeout(conn.idleTimer);
    if (pool.get(conn.key) === conn) pool.delete(conn.key);
    conn.client.end();
  }

  function hold(conn: PooledConnection): void {
    conn.holders++;
    if (conn.idleTimer) {
      clearTimeout(conn.idleTimer);
      conn.idleTimer = null;
    }
  }

  function unhold(conn: PooledConnection): void {
    conn.holders--;
    idleIfUnused(conn);
  }

  function idleIfUnused(conn: PooledConnection): void {
    if (conn.active === 0 && conn.holders === 0 && !conn.closed && !conn.idleTimer) {
      conn.idleTimer = setTimeout(() => drop(conn), opts.idleMs);
      conn.idleTimer.unref();
    }
  }

  /**
   * A TCP stream from the jump host to the node (an SSH direct-tcpip channel, what `ssh -J` does),
   * under the jump host's own known_hosts check. The jump connection is held open while the node's
   * connection lives.
   */
  async function tunnelThroughJump(
    t: Target & { jump: NonNullable<Target['jump']> },
    client: Client,
  ): Promise<ClientChannel> {
    const jumpTarget: Target = {
      node: `${t.node} via jump host ${t.jump.address}`,
      transport: 'ssh',
      ...t.jump,
      connectTimeoutMs: t.connectTimeoutMs,
    };
    const jconn = connect(jumpTarget);
    await jconn.ready;
    hold(jconn);
    try {
      const stream = await new Promise<ClientChannel>((resolve, reject) =>
        jconn.client.forwardOut('127.0.0.1', 0, t.address, t.port, (err, ch) => (err ? reject(err) : resolve(ch))),
      );
      client.once('close', () => unhold(jconn));
      return stream;
    } catch (err) {
      unhold(jconn);
      throw jumpError(t, (err as Error).message);
    }
  }

  function connect(t: Target): PooledConnection {
    const direct = `${t.user}@${t.address}:${t.port}`;
    const key = t.jump ? `${direct} via ${t.jump.user}@${t.jump.address}:${t.jump.port}` : direct;
    const existing = pool.get(key);
    if (existing && !existing.closed) return existing;
    const entries = loadKnownHosts();
    const creds = credentials();
    const client = new Client();
    let verdict: HostKeyVerdict | null = null;
    const knownTypes = [...new Set(entriesFor(entries, t.address, t.port).map((e) => e.keyType))];
    const config: ConnectConfig = {
      host: t.address,
      port: t.port,
      username: t.user,
      readyTimeout: t.connectTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      ...creds,
      hostVerifier: (offered: Buffer) => {
        verdict = verifyHostKey(entries, t.address, t.port, offered);
        return verdict.ok;
      },
    };
    // Ask for a host key type we hold for this host (as OpenSSH orders HostKeyAlgorithms).
    if (knownTypes.length > 0) config.algorithms = { serverHostKey: hostKeyAlgorithmsFor(knownTypes) as never };
    const conn: PooledConnection = {
      key,
      client,
      ready: Promise.resolve(),
      active: 0,
      holders: 0,
      waiters: [],
      idleTimer: null,
      closed: false,
    };
    const failure = (err: Error) =>
      connectError(t, err, verdict, { knownHostsPath: opts.knownHostsPath, withAgent: Boolean(opts.agentSock) });
    const handshake = new Promise<void>((resolve, reject) => {
      let settled = false;
      client.once('ready', () => {
        settled = true;
        resolve();
      });
      client.on('error', (err) => {
        if (!settled) {
          settled = true;
          reject(failure(err));
        }
        drop(conn);
      });
      client.on('close', () => {
        if (!settled) {
          settled = true;
          reject(failure(new Error('connection closed during handshake')));
        }
        drop(conn);
      });
    });
    pool.set(key, conn);
    if (t.jump) {
      const viaJump = { ...t, jump: t.jump };
      conn.ready = tunnelThroughJump(viaJump, client).then(
        (sock) => {
          client.connect({ ...config, sock });
          return handshake;
        },
        (err: unknown) => {
          drop(conn);
          throw err;
        },
      );
    } else {
      client.connect(config);
      conn.ready = handshake;
    }
    handshake.catch(() => {}); // never settles when the tunnel failed; otherwise observed through conn.ready
    conn.ready.catch(() => {}); // observed by every exec that awaits it
    return conn;
  }

  return {
    size: () => pool.size,
    /** A ready connection to the target with a channel slot taken (wait for one when all are busy). */
    async acquire(t: Target): Promise<PooledConnection> {
      const conn = connect(t);
      await conn.ready;
      if (conn.idleTimer) {
        clearTimeout(conn.idleTimer);
        conn.idleTimer = null;
      }
      if (conn.active >= opts.maxChannels) await new Promise<void>((r) => conn.waiters.push(r));
      conn.active++;
      return conn;
    },
    /** Gives the slot back; the connection closes after idleMs without runs. */
    release(conn: PooledConnection): void {
      conn.active--;
      const next = conn.waiters.shift();
      if (next) next();
      else idleIfUnused(conn);
    },
    closeAll(): void {
      for (const conn of [...pool.values()]) drop(conn);
    },
  };
}

export type SshPool = ReturnType<typeof createSshPool>;
