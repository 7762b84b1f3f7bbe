import { RuneError } from '../core/errors';
import type { ExecOutcome } from './transport';

/** GetCommandInvocation returns the first 24,000 characters of stdout and 8,000 of stderr (docs/protocols.md §4.3). */
export const SSM_STDOUT_LIMIT = 24_000;
export const SSM_STDERR_LIMIT = 8_000;

/** The fields of a GetCommandInvocation answer RUNE reads (the SDK's output type fits it). */
export interface InvocationView {
  Status?: string | undefined;
  StatusDetails?: string | undefined;
  ResponseCode?: number | undefined;
  StandardOutputContent?: string | undefined;
  StandardErrorContent?: string | undefined;
  StandardOutputUrl?: string | undefined;
  ExecutionElapsedTime?: string | undefined;
}

export interface InvocationContext {
  node: string;
  instanceId: string;
  commandId: string;
  timeoutMs: number;
  /** RUNE's wall time since SendCommand, used when SSM gives no elapsed time. */
  elapsedMs: number;
  tailBytes: number;
  /** OutputS3BucketName was set: the full output is in S3 (RUNE does not read it). */
  outputBucket?: string | undefined;
}

export type InvocationState =
  { kind: 'waiting' } | { kind: 'done'; outcome: ExecOutcome } | { kind: 'error'; error: RuneError };

// The agent appends this line to stderr when the script exits non-zero (terratest capture, §4.3);
// it repeats ResponseCode and would hide the plugin's own last line in messages.
const AGENT_TRAILER = /\n?failed to run commands: exit status -?\d+\s*$/;

function tail(text: string, bytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  return buf.length <= bytes ? text : buf.subarray(buf.length - bytes).toString('utf8');
}

/** `PT0.091S`, `PT1M2.5S`, `PT1H` → ms; null when absent or unreadable. */
function isoDurationMs(text: string | undefined): number | null {
  const m = /^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(text ?? '');
  if (!m || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) return null;
  return Math.round((Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000);
}

/**
 * One GetCommandInvocation answer → still waiting, a finished run, or a transport error. Pure.
 * StatusDetails is read first: it tells the two TimedOut cases and the three kinds of Failed apart
 * (docs/protocols.md §4.3, §4.7); ResponseCode is the exit code, -1 when the script never started.
 */
export function readInvocation(inv: InvocationView, ctx: InvocationContext): InvocationState {
  const details = inv.StatusDetails ?? '';
  const where = `${ctx.node} (${ctx.instanceId}, command ${ctx.commandId})`;
  const errDetails = {
    node: ctx.node,
    instance_id: ctx.instanceId,
    command_id: ctx.commandId,
    ssm_status: inv.Status ?? null,
    ssm_status_details: details || null,
  };
  if (
    details === 'Delivery Timed Out' ||
    (inv.Status === 'TimedOut' && inv.ResponseCode === -1 && details !== 'Execution Timed Out')
  ) {
    return {
      kind: 'error',
      error: new RuneError(
        'SSM_DELIVERY_TIMEOUT',
        `${where}: the instance did not pick up the command within its delivery window; ` +
          'is the SSM Agent running and online there?',
        errDetails,
      ),
    };
  }
  if (details === 'Undeliverable') {
    return {
      kind: 'error',
      error: new RuneError(
        'SSM_UNDELIVERABLE',
        `${where}: SSM could not deliver the command (Undeliverable): ` +
          'the instance may be stopped, gone, or its SSM Agent unreachable',
        errDetails,
      ),
    };
  }
  if (details === 'Terminated') {
    return {
      kind: 'done',
      outcome: finished(inv, ctx, {
        cancelled: 'SSM terminated it because the command exceeded its MaxErrors (other instances failed first)',
      }),
    };
  }
  if (inv.Status === 'Cancelled' || details === 'Cancelled') {
    return {
      kind: 'done',
      outcome: finished(inv, ctx, {
        cancelled: `the SSM command ${ctx.commandId} was cancelled (CancelCommand from outside this run)`,
      }),
    };
  }
  if (details === 'Execution Timed Out') return { kind: 'done', outcome: finished(inv, ctx, { timedOut: true }) };
  if (inv.Status === 'Success' || inv.Status === 'Failed' || inv.Status === 'TimedOut')
    return { kind: 'done', outcome: finished(inv, ctx, {}) };
  // Pending, InProgress, Delayed (the agent is offline; SSM retries), Cancelling, and any status
  // added later: keep polling. RUNE's own deadline bounds the wait (unlike the waiter, §4.4).
  return { kind: 'waiting' };
}

function finished(
  inv: InvocationView,
  ctx: InvocationContext,
  how: { timedOut?: true; cancelled?: string },
): ExecOutcome {
  const stdout = inv.StandardOutputContent ?? '';
  const rawStderr = inv.StandardErrorContent ?? '';
  const stderr = rawStderr.replace(AGENT_TRAILER, '');
  const stdoutCut = stdout.length >= SSM_STDOUT_LIMIT;
  const exitCode = inv.ResponseCode === undefined || inv.ResponseCode === -1 ? null : inv.ResponseCode;
  const durationMs = isoDurationMs(inv.ExecutionElapsedTime) ?? ctx.elapsedMs;
  const outcome: ExecOutcome = {
    exitCode,
    signal: null,
    stdout,
    stdoutTail: tail(stdout, ctx.tailBytes),
    stderrTail: tail(stderr, ctx.tailBytes),
    truncated: stdoutCut || rawStderr.length >= SSM_STDERR_LIMIT,
    // As over SSH: the wrapper's `timeout` exits 124 when it ended the plugin.
    timedOut: how.timedOut === true || (exitCode === 124 && durationMs >= ctx.timeoutMs),
    durationMs,
  };
  if (stdoutCut) {
    outcome.truncationNote = ctx.outputBucket
      ? 'SSM returns only the first 24,000 characters of stdout; the full output is in S3' +
        `${inv.StandardOutputUrl ? ` at ${inv.StandardOutputUrl}` : ` (bucket ${ctx.outputBucket})`}, ` +
        'which RUNE does not read: make the plugin print less'
      : 'stdout was cut by SSM at 24,000 characters: make the plugin print less, ' +
        'or set RUNE_SSM_OUTPUT_S3_BUCKET to keep the full output in S3';
  }
  if (how.cancelled !== undefined) outcome.cancelled = how.cancelled;
  return outcome;
}
