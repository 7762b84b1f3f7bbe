import type { RuneConfig } from '../config/config-types';
import { isRuneError, toResultError } from '../core/errors';
import { executePlan, type MediatorDeps } from '../mediator/execute-plan';
import type { PluginRegistry } from '../plugins/load-registry';
import type { Result, RunRequest } from '../core/types';
import { planRun } from './plan-run';
import type { ResolveEnv } from './resolve-node';

export interface RunnerDeps extends MediatorDeps {
  registry: PluginRegistry;
  config: RuneConfig;
  env: ResolveEnv;
}

/**
 * The one entry point for running an action (CLI, API, rules): plan, then mediate.
 * Always resolves to a Result; invalid requests become failed Results at stage validate.
 * Aborting `signal` cancels a run under way (status cancelled, the abort reason in the summary).
 */
export async function runAction(req: RunRequest, deps: RunnerDeps, signal?: AbortSignal): Promise<Result> {
  const startedAt = deps.now();
  try {
    const plan = planRun(req, deps.registry, deps.config, deps.env);
    return await executePlan(plan, deps, signal);
  } catch (err) {
    if (!isRuneError(err)) throw err; // RUNE's own fault: let it surface
    const at = deps.now();
    return {
      job_id: req.jobId,
      trace_id: req.traceId,
      action: req.action,
      action_version: deps.registry.plugins.get(req.action)?.version ?? null,
      node: req.node,
      transport: null,
      dry_run: req.dryRun || req.pluginDryRun,
      status: 'failed',
      started_at: startedAt.toISOString(),
      finished_at: at.toISOString(),
      duration_ms: at.getTime() - startedAt.getTime(),
      exit_code: null,
      summary: err.message,
      data: {},
      error: toResultError(err, req.traceId),
      stdout_tail: '',
      stderr_tail: '',
      truncated: false,
      trigger: req.trigger,
    };
  }
}

/** Runs `items` through `fn` with at most `limit` in flight, keeping input order in the output. */
export async function mapBounded<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
