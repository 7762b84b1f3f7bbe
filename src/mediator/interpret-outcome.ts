import type { ErrorCode } from '../core/errors';
import type { ExecOutcome } from '../transports/transport';
import type { JobStatus, PluginOutput } from '../core/types';
import { leftoverReport, WRAPPER_SETUP_EXIT } from '../transports/wrapper-script';

export interface Interpretation {
  status: JobStatus;
  summary: string;
  data: Record<string, unknown>;
  error: { code: ErrorCode; message: string; details: Record<string, unknown> } | null;
}

const STATUSES = new Set(['ok', 'error', 'skipped']);

/** Checks stdout against the contract: exactly one JSON object with a known status. */
export function parsePluginOutput(stdout: string): { ok: true; output: PluginOutput } | { ok: false; reason: string } {
  const text = stdout.trim();
  if (text === '') return { ok: false, reason: 'the plugin printed nothing on stdout' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `stdout is not one JSON object (${(err as Error).message})` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { ok: false, reason: 'stdout is JSON but not an object' };
  const v = value as Record<string, unknown>;
  if (typeof v.status !== 'string' || !STATUSES.has(v.status))
    return { ok: false, reason: `"status" must be "ok", "error" or "skipped", got ${JSON.stringify(v.status)}` };
  if (v.summary !== undefined && typeof v.summary !== 'string')
    return { ok: false, reason: '"summary" must be a string' };
  if (v.data !== undefined && (v.data === null || typeof v.data !== 'object' || Array.isArray(v.data)))
    return { ok: false, reason: '"data" must be an object' };
  const out: PluginOutput = {
    status: v.status as PluginOutput['status'],
    summary: (v.summary as string | undefined) ?? '',
    data: (v.data as Record<string, unknown> | undefined) ?? {},
  };
  const e = v.error as Record<string, unknown> | undefined;
  if (e && typeof e === 'object')
    out.error = { code: String(e.code ?? 'PLUGIN_ERROR'), message: String(e.message ?? '') };
  return { ok: true, output: out };
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.slice(0, 300) ?? '';
}

/** What a run left behind on the node, whatever its outcome: each a sentence for a responder. */
export function runWarnings(o: ExecOutcome): string[] {
  const warnings: string[] = [];
  const leftovers = leftoverReport(o.stderrTail);
  if (leftovers) warnings.push(leftovers);
  if (o.outputHeldOpen)
    warnings.push(
      'the output stayed open after the plugin exited: a process outside its session still holds it ' +
        '(started with setsid or as a daemon?) and may still be running on the node',
    );
  return warnings;
}

/**
 * The mediator's pure part: an ExecOutcome → status, summary and catalogue error. What the run left
 * behind (runWarnings) goes into `data.rune_warnings` and, in brackets, the summary, whatever the
 * status: the one line a responder reads in the CLI and the incident note.
 * Exit codes 124–127 are explained in words, as a responder reads them at 3 a.m.
 */
export function interpretOutcome(
  o: ExecOutcome,
  ctx: { action: string; node: string; timeoutMs: number; become: boolean },
): Interpretation {
  const verdict = readOutcome(o, ctx);
  const warnings = runWarnings(o);
  if (warnings.length === 0) return verdict;
  const said = `warning: ${warnings.join('; ')}`;
  return {
    ...verdict,
    summary: verdict.summary ? `${verdict.summary} (${said})` : said,
    data: { ...verdict.data, rune_warnings: warnings },
  };
}

function readOutcome(
  o: ExecOutcome,
  ctx: { action: string; node: string; timeoutMs: number; become: boolean },
): Interpretation {
  const fail = (code: ErrorCode, message: string, details: Record<string, unknown> = {}): Interpretation => ({
    status: code === 'RUN_TIMEOUT' ? 'timed_out' : 'failed',
    summary: message,
    data: {},
    error: { code, message, details },
  });
  if (o.cancelled !== undefined) {
    const message = `${ctx.action} on ${ctx.node} was cancelled before it finished: ${o.cancelled}`;
    return { status: 'cancelled', summary: message, data: {}, error: { code: 'RUN_CANCELLED', message, details: {} } };
  }
  if (o.timedOut) {
    return fail(
      'RUN_TIMEOUT',
      `${ctx.action} on ${ctx.node} ran past its ${Math.round(ctx.timeoutMs / 1000)}s timeout and was killed`,
      { timeout_ms: ctx.timeoutMs },
    );
  }
  const stdoutEmpty = o.stdout.trim() === '';
  if (o.exitCode === WRAPPER_SETUP_EXIT && /(^|\n)rune: /.test(o.stderrTail)) {
    return fail('REMOTE_SETUP_FAILED', `${ctx.node}: ${lastLine(o.stderrTail)}`);
  }
  if (ctx.become && o.exitCode === 1 && stdoutEmpty && /(^|\n)sudo: /.test(o.stderrTail)) {
    return fail(
      'BECOME_FAILED',
      `${ctx.node}: sudo -n refused to run ${ctx.action} (${lastLine(o.stderrTail)}); ` +
        'allow the SSH user passwordless sudo, or set become: false',
    );
  }
  if ((o.exitCode === 126 || o.exitCode === 127) && stdoutEmpty) {
    const why = o.exitCode === 127 ? 'its interpreter was not found' : 'it could not be executed';
    return fail(
      'PLUGIN_NOT_RUNNABLE',
      `${ctx.action} did not start on ${ctx.node}: ${why} ` +
        `(exit ${o.exitCode}: ${lastLine(o.stderrTail) || 'no message'})`,
    );
  }
  if (o.exitCode === null) {
    return fail('PLUGIN_FAILED', `${ctx.action} on ${ctx.node} was killed by signal ${o.signal ?? 'unknown'}`, {
      signal: o.signal,
    });
  }
  const parsed = parsePluginOutput(o.stdout);
  if (!parsed.ok) {
    if (stdoutEmpty && o.exitCode !== 0) {
      return fail(
        'PLUGIN_FAILED',
        `${ctx.action} on ${ctx.node} exited ${o.exitCode} without a result` +
          `${o.stderrTail ? `: ${lastLine(o.stderrTail)}` : ''}`,
      );
    }
    const cut =
      o.truncated && o.stdout.length > 0 ? ` (${o.truncationNote ?? 'stdout was cut at the output cap'})` : '';
    return fail('PLUGIN_BAD_OUTPUT', `${ctx.action} on ${ctx.node} broke the output contract: ${parsed.reason}${cut}`);
  }
  const { output } = parsed;
  if (output.status === 'error' || o.exitCode !== 0) {
    const message =
      output.status === 'error'
        ? output.error?.message || output.summary || `${ctx.action} reported an error`
        : `${ctx.action} reported "${output.status}" but exited ${o.exitCode}`;
    return {
      status: 'failed',
      summary: output.summary || message,
      data: output.data,
      error: { code: 'PLUGIN_FAILED', message, details: { plugin_error: output.error ?? null, exit_code: o.exitCode } },
    };
  }
  return {
    status: output.status === 'skipped' ? 'skipped' : 'succeeded',
    summary: output.summary,
    data: output.data,
    error: null,
  };
}
