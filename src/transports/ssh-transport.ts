import { readFileSync, statSync } from 'node:fs';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { RuneError } from '../core/errors';
import { OutputCapture } from '../util/output-capture';
import {
  entriesFor,
  hostKeyAlgorithmsFor,
  knownHostsName,
  parseKnownHosts,
  verifyHostKey,
  type HostKeyVerdict,
  type KnownHostEntry,
} from './known-hosts';
import {
  BACKSTOP_MARGIN_MS,
  DEFAULT_CAPTURE_LIMITS,
  KILL_GRACE_MS,
  type CaptureLimits,
  type ExecOutcome,
  type ExecRequest,
  type Target,
  type Transport,
  abortReason,
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

interface PooledConnection {
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
 * SSH transport on ssh2 (docs/architecture.md, Remote execution): strict known_hosts, key and/or agent,
 * optional jump host, one pooled connection per user@host:port reused across runs and closed when idle.
 */
export function createSshTransport(opts: SshOptions): Transport & { poolSize(): number } {
  const limits = opts.limits ?? DEFAULT_CAPTURE_LIMITS;
  const now = opts.now ?? Date.now;
  const idleMs = opts.idleMs ?? 60_000;
  const maxChannels = opts.maxChannels ?? 8;
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
        throw new RuneError(
          'SSH_NO_CREDENTIALS',
          `cannot read RUNE_SSH_KEY ${opts.keyPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
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
      knownHosts = { entries: mtimeMs < 0 ? [] : parseKnownHosts(readFileSync(opts.knownHostsPath, 'utf8')), mtimeMs };
    }
    return knownHosts.entries;
  }

  function hostKeyError(t: Target, v: Exclude<HostKeyVerdict, { ok: true }>): RuneError {
    const name = knownHostsName(t.address, t.port);
    const scan = `ssh-keyscan -p ${t.port} -t ${v.offeredType.replace(/^ssh-/, '')} ${t.address}`;
    const details = {
      node: t.node,
      host: name,
      offered_key_type: v.offeredType,
      offered_fingerprint: v.fingerprint,
      known_hosts: opts.knownHostsPath,
    };
    if (v.reason === 'unknown') {
      return new RuneError(
        'HOST_KEY_UNKNOWN',
        `host key of ${t.node} (${name}) is not in ${opts.knownHostsPath}; it offered ${v.offeredType} ${v.fingerprint}. Check that fingerprint out of band, then add it: ${scan} >> ${opts.knownHostsPath}`,
        details,
      );
    }
    return new RuneError(
      'HOST_KEY_MISMATCH',
      v.reason === 'revoked'
        ? `host key of ${t.node} (${name}) is marked @revoked in ${opts.knownHostsPath}; refusing to connect`
        : `host key of ${t.node} (${name}) does not match ${opts.knownHostsPath}: it offered ${v.offeredType} ${v.fingerprint}. Someone may be intercepting the connection, or the node was rebuilt; refusing to connect`,
      details,
    );
  }

  function connectError(
    t: Target,
    err: Error & { level?: string; code?: string },
    verdict: HostKeyVerdict | null,
  ): RuneError {
    if (verdict && !verdict.ok) return hostKeyError(t, verdict);
    const where = `${t.user}@${t.address}:${t.port}`;
    const details = { node: t.node, address: t.address, port: t.port, user: t.user, cause: err.message };
    if (err.level === 'client-authentication') {
      return new RuneError(
        'SSH_AUTH_FAILED',
        `${t.node}: ${where} refused our key${opts.agentSock ? ' and agent keys' : ''} (${err.message})`,
        details,
      );
    }
    if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT') {
      return new RuneError(
        'CONNECT_TIMEOUT',
        `${t.node}: no SSH handshake with ${t.address}:${t.port} within ${t.connectTimeoutMs} ms`,
        details,
      );
    }
    if (err.code === 'ECONNREFUSED')
      return new RuneError(
        'CONNECT_REFUSED',
        `${t.node}: connection refused by ${t.address}:${t.port} (is sshd running there?)`,
        details,
      );
    if (err.code && ['ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'].includes(err.code)) {
      return new RuneError('NODE_UNREACHABLE', `${t.node}: cannot reach ${t.address}:${t.port} (${err.code})`, details);
    }
    return new RuneError(
      'CONNECTION_LOST',
      `${t.node}: SSH connection to ${t.address}:${t.port} failed: ${err.message}`,
      details,
    );
  }

  function drop(conn: PooledConnection): void {
    if (conn.closed) return;
    conn.closed = true;
    if (conn.idleTimer) clearTimeout(conn.idleTimer);
    if (pool.get(conn.key) === conn) pool.delete(conn.key);
    conn.client.end();
  }

  /** The jump host as a target of its own: same credentials, known_hosts and connect timeout. */
  function jumpTargetOf(t: Target & { jump: NonNullable<Target['jump']> }): Target {
    return {
      node: `${t.node} via jump host ${t.jump.address}`,
      transport: 'ssh',
      ...t.jump,
      connectTimeoutMs: t.connectTimeoutMs,
    };
  }

  /**
   * A TCP stream from the jump host to the node (an SSH direct-tcpip channel, what `ssh -J` does).
   * The jump connection is held open while the node's connection lives.
   */
  async function tunnelThroughJump(
    t: Target & { jump: NonNullable<Target['jump']> },
    client: Client,
  ): Promise<ClientChannel> {
    const jumpTarget = jumpTargetOf(t);
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
      const reason = (err as Error).message;
      const details = {
        node: t.node,
        address: t.address,
        port: t.port,
        jump: `${t.jump.user}@${t.jump.address}:${t.jump.port}`,
        cause: reason,
      };
      const via = `jump host ${t.jump.address}:${t.jump.port}`;
      if (/connection refused/i.test(reason)) {
        throw new RuneError(
          'CONNECT_REFUSED',
          `${t.node}: connection refused by ${t.address}:${t.port}, as seen from ${via} (is sshd running there?)`,
          details,
        );
      }
      throw new RuneError(
        'NODE_UNREACHABLE',
        `${t.node}: ${via} could not open a connection to ${t.address}:${t.port} (${reason}); does it allow TCP forwarding (AllowTcpForwarding, PermitOpen) and reach the node?`,
        details,
      );
    }
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
      conn.idleTimer = setTimeout(() => drop(conn), idleMs);
      conn.idleTimer.unref();
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
    const handshake = new Promise<void>((resolve, reject) => {
      let settled = false;
      client.once('ready', () => {
        settled = true;
        resolve();
      });
      client.on('error', (err) => {
        if (!settled) {
          settled = true;
          reject(connectError(t, err, verdict));
        }
        drop(conn);
      });
      client.on('close', () => {
        if (!settled) {
          settled = true;
          reject(connectError(t, new Error('connection closed during handshake'), verdict));
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

  async function acquire(t: Target): Promise<PooledConnection> {
    const conn = connect(t);
    await conn.ready;
    if (conn.idleTimer) {
      clearTimeout(conn.idleTimer);
      conn.idleTimer = null;
    }
    if (conn.active >= maxChannels) await new Promise<void>((r) => conn.waiters.push(r));
    conn.active++;
    return conn;
  }

  function release(conn: PooledConnection): void {
    conn.active--;
    const next = conn.waiters.shift();
    if (next) next();
    else idleIfUnused(conn);
  }

  function openChannel(conn: PooledConnection, command: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) => conn.client.exec(command, (err, ch) => (err ? reject(err) : resolve(ch))));
  }

  return {
    kind: 'ssh',
    poolSize: () => pool.size,
    async close() {
      for (const conn of [...pool.values()]) drop(conn);
    },
    async exec(req: ExecRequest): Promise<ExecOutcome> {
      const t = req.target;
      const conn = await acquire(t);
      const started = now();
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
          throw new RuneError(
            'CONNECTION_LOST',
            `${t.node}: could not open an SSH session channel: ${(err as Error).message}`,
            { node: t.node },
          );
        }
        return await new Promise<ExecOutcome>((resolve, reject) => {
          const out = new OutputCapture(limits.stdoutCap, limits.tailBytes);
          const errOut = new OutputCapture(limits.stderrCap, limits.tailBytes);
          let exitCode: number | null = null;
          let signal: string | null = null;
          let gotExit = false;
          let backstopFired = false;
          channel.on('data', (c: Buffer) => out.push(c));
          channel.stderr.on('data', (c: Buffer) => errOut.push(c));
          channel.on('exit', (code: number | null, sig?: string) => {
            gotExit = true;
            exitCode = code ?? null;
            signal = sig ?? null;
          });
          let settled = false;
          const lost = () => {
            if (!gotExit && !backstopFired && cancelled === undefined && !settled) {
              settled = true;
              clearTimeout(backstop);
              reject(
                new RuneError(
                  'CONNECTION_LOST',
                  `${t.node}: connection dropped while the plugin was running; its outcome is unknown`,
                  { node: t.node, stderr_tail: errOut.tailText() },
                ),
              );
            }
          };
          conn.client.once('close', lost);
          /** Whatever ended it: the session closing, or RUNE giving up on a session that would not close. */
          const finish = () => {
            if (settled) return;
            settled = true;
            clearTimeout(backstop);
            clearTimeout(forceTimer);
            req.signal?.removeEventListener('abort', onAbort);
            conn.client.removeListener('close', lost);
            const durationMs = now() - started;
            resolve({
              ...(cancelled !== undefined ? { cancelled } : {}),
              exitCode,
              signal,
              stdout: out.text(),
              stdoutTail: out.tailText(),
              stderrTail: errOut.tailText(),
              truncated: out.truncated || errOut.truncated,
              timedOut: backstopFired || (exitCode === 124 && durationMs >= req.timeoutMs),
              durationMs,
            });
          };
          let forceTimer: NodeJS.Timeout | undefined;
          /** Signal, then close the channel; if the node never closes it, stop waiting after a margin. */
          const stop = (sig: 'TERM' | 'KILL', closeAfterMs: number) => {
            sendSignal(channel, sig);
            forceTimer = setTimeout(() => {
              channel.close();
              forceTimer = setTimeout(finish, BACKSTOP_MARGIN_MS);
            }, closeAfterMs);
          };
          // The node-side `timeout` should end an overrunning plugin; this fires only if it could not.
          const backstop = setTimeout(
            () => {
              backstopFired = true;
              clearTimeout(forceTimer);
              stop('KILL', 0);
            },
            req.timeoutMs + KILL_GRACE_MS + BACKSTOP_MARGIN_MS,
          );
          // Cancel: TERM to the wrapper (SSH "signal" request), which passes it on to the plugin
          // (and `timeout` KILLs it after the grace); the channel is closed if it is still open then.
          let cancelled: string | undefined;
          const onAbort = () => {
            if (cancelled !== undefined || settled) return;
            cancelled = abortReason(req.signal);
            stop('TERM', KILL_GRACE_MS + BACKSTOP_MARGIN_MS);
          };
          if (req.signal?.aborted) onAbort();
          else req.signal?.addEventListener('abort', onAbort, { once: true });
          channel.on('close', () => {
            if (!gotExit && !backstopFired && cancelled === undefined) {
              lost();
              return;
            }
            finish();
          });
          channel.stderr.on('error', () => {});
          channel.end(req.payload);
        });
      } finally {
        release(conn);
      }
    },
  };
}

/**
 * Sends an SSH "signal" channel request (RFC 4254 §6.9; OpenSSH's sshd delivers it to the session's
 * process group). ssh2's public `channel.signal()` silently drops it once the channel's stdin is
 * ended (ssh2 1.17 lib/Channel.js checks `this.writable`), and RUNE always ends stdin after the
 * payload, so the request goes through the protocol object directly when the channel is open.
 */
function sendSignal(channel: ClientChannel, name: 'TERM' | 'KILL'): void {
  const ch = channel as unknown as {
    outgoing?: { id: number; state: string };
    _client?: { _protocol?: { signal: (id: number, sig: string) => void } };
  };
  try {
    // 'eof': stdin ended, the channel still open (requests are allowed after EOF, RFC 4254 §5.3).
    if (
      (ch.outgoing?.state === 'open' || ch.outgoing?.state === 'eof') &&
      typeof ch._client?._protocol?.signal === 'function'
    )
      ch._client._protocol.signal(ch.outgoing.id, name);
    else channel.signal(name);
  } catch {
    /* best effort: the channel is closed right after */
  }
}
