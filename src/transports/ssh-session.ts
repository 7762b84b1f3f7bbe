import type { Client, ClientChannel } from 'ssh2';
import { RuneError } from '../core/errors';
import { OutputCapture } from '../util/output-capture';
import {
  BACKSTOP_MARGIN_MS,
  KILL_GRACE_MS,
  OUTPUT_DRAIN_MS,
  abortReason,
  capturedOutcome,
  type CaptureLimits,
  type ExecOutcome,
  type ExecRequest,
} from './transport';

/**
 * One plugin run on an open SSH session channel: the payload goes to stdin, output is captured
 * within its caps, and the outcome is read from the channel's exit. RUNE stops a run two ways:
 * a cancel sends TERM (the node-side wrapper passes it to the plugin and KILLs after the grace),
 * and a backstop KILLs a run the node's own `timeout` could not end. A connection that drops
 * before the exit status arrived is CONNECTION_LOST: the outcome on the node is unknown.
 */
export function runOnChannel(
  channel: ClientChannel,
  client: Client,
  req: ExecRequest,
  limits: CaptureLimits,
  now: () => number,
): Promise<ExecOutcome> {
  const t = req.target;
  const started = now();
  return new Promise<ExecOutcome>((resolve, reject) => {
    const out = new OutputCapture(limits.stdoutCap, limits.tailBytes);
    const errOut = new OutputCapture(limits.stderrCap, limits.tailBytes);
    let exitCode: number | null = null;
    let signal: string | null = null;
    let gotExit = false;
    let backstopFired = false;
    channel.on('data', (c: Buffer) => out.push(c));
    channel.stderr.on('data', (c: Buffer) => errOut.push(c));
    // The wrapper exits once the plugin has and what it left in its session is stopped; output still
    // open after that (sshd waits for EOF) is held by a process out of its reach: RUNE closes the
    // channel and the run ends regardless.
    let outputHeldOpen = false;
    let drain: NodeJS.Timeout | undefined;
    channel.on('exit', (code: number | null, sig?: string) => {
      gotExit = true;
      exitCode = code ?? null;
      signal = sig ?? null;
      drain ??= setTimeout(() => {
        outputHeldOpen = true;
        clearTimeout(forceTimer);
        channel.close();
        forceTimer = setTimeout(finish, BACKSTOP_MARGIN_MS);
      }, OUTPUT_DRAIN_MS);
    });
    let settled = false;
    const lost = () => {
      if (!gotExit && !backstopFired && cancelled === undefined && !settled) {
        settled = true;
        clearTimeout(backstop);
        clearTimeout(drain);
        reject(
          new RuneError(
            'CONNECTION_LOST',
            `${t.node}: connection dropped while the plugin was running; its outcome is unknown`,
            { node: t.node, stderr_tail: errOut.tailText() },
          ),
        );
      }
    };
    client.once('close', lost);
    /** Whatever ended it: the session closing, or RUNE giving up on a session that would not close. */
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(backstop);
      clearTimeout(forceTimer);
      clearTimeout(drain);
      req.signal?.removeEventListener('abort', onAbort);
      client.removeListener('close', lost);
      const durationMs = now() - started;
      const captured = { out, err: errOut, exitCode, signal, cancelled, backstopFired, durationMs, outputHeldOpen };
      resolve(capturedOutcome({ ...captured, timeoutMs: req.timeoutMs }));
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
