import { isRuneError, RuneError, toResultError } from '../core/errors';
import type { Plan } from './plan';
import { abortReason, type ExecOutcome, type Transport } from '../transports/transport';
import type { Result, TransportKind } from '../core/types';
import { interpretOutcome } from './interpret-outcome';

export interface MediatorDeps {
  transports: Partial<Record<TransportKind, Transport>>;
  /** Reads a plugin file's bytes (fresh on every run, so an edited plugin takes effect at once). */
  readScript: (path: string) => Promise<Buffer>;
  now: () => Date;
}

/** Runs a plan on its transport and turns whatever happens into one Result. Never throws for node faults. */
export async function executePlan(plan: Plan, deps: MediatorDeps, signal?: AbortSignal): Promise<Result> {
  const { request, plugin, target } = plan;
  const startedAt = deps.now();
  const base = {
    job_id: request.jobId,
    trace_id: request.traceId,
    action: plugin.name,
    action_version: plugin.version,
    node: target.node,
    transport: target.transport,
    dry_run: request.dryRun || request.pluginDryRun,
    trigger: request.trigger,
  };
  const finish = (
    fields: Pick<
      Result,
      'status' | 'summary' | 'data' | 'error' | 'exit_code' | 'stdout_tail' | 'stderr_tail' | 'truncated'
    >,
  ): Result => {
    const finishedAt = deps.now();
    return {
      ...base,
      ...fields,
      started_at: startedAt.toISOString(),
      finished_at: finishedAt.toISOString(),
      duration_ms: finishedAt.getTime() - startedAt.getTime(),
    };
  };

  if (request.dryRun) {
    const where =
      target.transport === 'local'
        ? 'this host'
        : target.transport === 'ssm'
          ? `instance ${target.instanceId ?? '?'}`
          : `${target.user}@${target.address}:${target.port}`;
    return finish({
      status: 'succeeded',
      summary:
        `dry run: would run ${plugin.name} ${plugin.version} on ${target.node} over ${target.transport} ` +
        `(${where}); nothing was contacted`,
      data: {
        plan: {
          action: plugin.name,
          version: plugin.version,
          mutating: plugin.mutating,
          become: plugin.become,
          timeout_ms: plan.timeoutMs,
          target,
          payload: plan.payload,
        },
      },
      error: null,
      exit_code: null,
      stdout_tail: '',
      stderr_tail: '',
      truncated: false,
    });
  }

  let outcome: ExecOutcome;
  try {
    const transport = deps.transports[target.transport];
    if (!transport) {
      throw new RuneError(
        'TRANSPORT_UNAVAILABLE',
        target.transport === 'ssm'
          ? 'SSM transport not available yet'
          : `the ${target.transport} transport is not configured`,
        { transport: target.transport, node: target.node },
      );
    }
    const script = await deps.readScript(plugin.path);
    outcome = await transport.exec({
      target,
      plugin,
      script,
      payload: JSON.stringify(plan.payload),
      timeoutMs: plan.timeoutMs,
      ...(signal ? { signal } : {}),
    });
    // The transport says it was stopped (SSM: "Cancelled"); RUNE's own reason says why.
    if (signal?.aborted && outcome.cancelled !== undefined) outcome = { ...outcome, cancelled: abortReason(signal) };
  } catch (err) {
    const e = isRuneError(err)
      ? err
      : new RuneError('INTERNAL', `unexpected fault: ${(err as Error).message}`, {}, { cause: err });
    return finish({
      status: 'failed',
      summary: e.message,
      data: {},
      error: toResultError(e, request.traceId),
      exit_code: null,
      stdout_tail: '',
      stderr_tail: typeof e.details.stderr_tail === 'string' ? e.details.stderr_tail : '',
      truncated: false,
    });
  }
  const verdict = interpretOutcome(outcome, {
    action: plugin.name,
    node: target.node,
    timeoutMs: plan.timeoutMs,
    become: plugin.become,
  });
  const error = verdict.error
    ? toResultError(new RuneError(verdict.error.code, verdict.error.message, verdict.error.details), request.traceId)
    : null;
  if (error && outcome.truncated) error.details.truncated = true;
  return finish({
    status: verdict.status,
    summary: verdict.summary,
    data: verdict.data,
    error,
    exit_code: outcome.exitCode,
    stdout_tail: outcome.stdoutTail,
    stderr_tail: outcome.stderrTail,
    truncated: outcome.truncated,
  });
}
