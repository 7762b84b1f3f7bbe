import type { PluginMeta } from '../plugins/plugin-meta';
import type { TransportKind } from '../core/types';
import type { SsmRateControls } from './ssm-rate-controls';
import type { OutputCapture } from '../util/output-capture';

/** Where and how to reach a node, after inventory resolution. */
export interface Target {
  /** Inventory name (the matched name for glob entries). */
  node: string;
  transport: TransportKind;
  address: string;
  port: number;
  user: string;
  connectTimeoutMs: number;
  /** SSM: the managed instance (resolved, rendered and checked against SSM's pattern). */
  instanceId?: string;
  /** SSM: MaxConcurrency / MaxErrors for the SendCommand carrying this run (rules.yaml or flags). */
  ssm?: SsmRateControls;
  /** Reach the node through this SSH jump host (ProxyJump, one hop). */
  jump?: JumpHost;
}

/** A bastion: RUNE logs in there and asks it to open a TCP connection to the node (direct-tcpip). */
export interface JumpHost {
  address: string;
  port: number;
  user: string;
}

export interface ExecRequest {
  target: Target;
  plugin: PluginMeta;
  /** The plugin file's bytes, shipped to the node on every run (agentless). */
  script: Buffer;
  /** The JSON payload, written to the plugin's stdin and nowhere else. */
  payload: string;
  timeoutMs: number;
  /**
   * Aborted when RUNE cancels the run (a resolve with cancel_running_on_resolve, an operator's
   * cancel); its reason says why. The transport stops the plugin (TERM, then KILL after the grace)
   * and answers an ExecOutcome with `cancelled` set.
   */
  signal?: AbortSignal;
}

/** The shape of a finished process (after execa): what the mediator turns into a Result. */
export interface ExecOutcome {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stdoutTail: string;
  stderrTail: string;
  truncated: boolean;
  /** True when RUNE or the node-side `timeout` ended the run. */
  timedOut: boolean;
  durationMs: number;
  /** Who cut stdout and what to do about it, for the error message when the cut broke the JSON. */
  truncationNote?: string;
  /** The run was stopped from outside before it finished (SSM: Cancelled, Terminated): why, in words. */
  cancelled?: string;
  /**
   * The wrapper had exited but its stdout or stderr stayed open past OUTPUT_DRAIN_MS: a process out of
   * the wrapper's reach (a session of its own) still held it, and RUNE stopped reading.
   */
  outputHeldOpen?: boolean;
}

/**
 * A way to run a plugin on a node. Unreachable nodes, refused keys and lost connections are
 * thrown as RuneError (stage transport); anything the plugin itself does is an ExecOutcome.
 */
export interface Transport {
  readonly kind: TransportKind;
  exec(req: ExecRequest): Promise<ExecOutcome>;
  /** Releases pooled connections. */
  close(): Promise<void>;
}

export interface CaptureLimits {
  /** Bytes of stdout kept for parsing the contract. */
  stdoutCap: number;
  /** Bytes of stderr kept (the tail). */
  stderrCap: number;
  /** Bytes of each stream shown in the Result's *_tail fields. */
  tailBytes: number;
}

export const DEFAULT_CAPTURE_LIMITS: CaptureLimits = { stdoutCap: 1024 * 1024, stderrCap: 64 * 1024, tailBytes: 4096 };

/** Grace between the node-side TERM and KILL (`timeout -k`), and RUNE's own margin after it. */
export const KILL_GRACE_MS = 5000;
export const BACKSTOP_MARGIN_MS = 5000;
/**
 * How long RUNE still reads a run's output after the wrapper exited (its exit status is in). The
 * wrapper has stopped what the plugin left in its session by then, so the streams close at once; a
 * process that left the session (setsid, a daemon) may hold them open, and the run ends anyway.
 */
export const OUTPUT_DRAIN_MS = 2000;

/** Why a run was cancelled, in words, from its AbortSignal (the reason RUNE passed to abort()). */
export function abortReason(signal: AbortSignal | undefined): string {
  const r: unknown = signal?.reason;
  if (typeof r === 'string') return r;
  if (r instanceof Error && r.name !== 'AbortError') return r.message;
  return 'cancelled by RUNE';
}

/**
 * The outcome of a run whose output was captured locally (local and SSH transports). A run counts
 * as timed out when RUNE's backstop fired, or when the node-side wrapper says its `timeout` ended it
 * (exit 124, also when the KILL after the grace was needed, once the timeout had passed: a plugin's
 * own exit 124 earlier is its own).
 */
export function capturedOutcome(o: {
  out: OutputCapture;
  err: OutputCapture;
  exitCode: number | null;
  signal: string | null;
  cancelled: string | undefined;
  backstopFired: boolean;
  durationMs: number;
  timeoutMs: number;
  outputHeldOpen?: boolean;
}): ExecOutcome {
  return {
    ...(o.cancelled !== undefined ? { cancelled: o.cancelled } : {}),
    ...(o.outputHeldOpen ? { outputHeldOpen: true } : {}),
    exitCode: o.exitCode,
    signal: o.signal,
    stdout: o.out.text(),
    stdoutTail: o.out.tailText(),
    stderrTail: o.err.tailText(),
    truncated: o.out.truncated || o.err.truncated,
    timedOut: o.backstopFired || (o.exitCode === 124 && o.durationMs >= o.timeoutMs),
    durationMs: o.durationMs,
  };
}
