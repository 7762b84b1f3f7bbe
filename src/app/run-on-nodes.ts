import { randomBytes, randomUUID } from 'node:crypto';
import { RuneError } from '../core/errors';
import type { Result, SsmRateControlsSpec, Trigger } from '../core/types';
import { resolveNode } from '../orchestrator/resolve-node';
import { mapBounded, runAction, type RunnerDeps } from '../orchestrator/run-action';

/** One action on many nodes (`rune run`): the same request for each node. */
export interface RunOnNodesRequest {
  action: string;
  /** Inventory names or addresses; a node named twice runs once. */
  nodes: string[];
  params: Record<string, unknown>;
  /** A RUNE dry run: plan only, no node is contacted. */
  dryRun: boolean;
  /** The plugin's dry run: it runs on the node with `dry_run: true`. */
  pluginDryRun: boolean;
  timeoutMs?: number;
  /** Every node over SSM, whatever its inventory entry says. */
  forceSsm: boolean;
  /** MaxConcurrency / MaxErrors of each SendCommand; only for runs over SSM. */
  ssm?: SsmRateControlsSpec;
  /** SSH and local nodes contacted at once. */
  concurrency: number;
  trigger: Trigger;
}

/** A finished node, for progress: `done` of `total` have a Result now. */
export type OnNodeDone = (result: Result, done: number, total: number) => void;

/**
 * Runs the action on every node and returns the Results in the order the nodes were named. SSH and
 * local nodes go at most `concurrency` at once; SSM nodes all go to the transport at once, so it can
 * put up to 50 of them in each SendCommand (AWS's MaxConcurrency paces them; docs/transports.md).
 * Each node gets its own job and trace id. Never throws for a node's fault: that is in its Result.
 */
export async function runOnNodes(req: RunOnNodesRequest, deps: RunnerDeps, onDone?: OnNodeDone): Promise<Result[]> {
  const nodes = [...new Set(req.nodes)];
  const overSsm = (node: string): boolean => {
    if (req.forceSsm) return true;
    try {
      return resolveNode(deps.config, node, deps.env).transport === 'ssm';
    } catch {
      return false; // the node's Result reports the problem
    }
  };
  const ssmNodes = new Set(nodes.filter(overSsm));
  if (req.ssm && Object.keys(req.ssm).length > 0 && ssmNodes.size === 0) {
    throw new RuneError(
      'USAGE',
      '--max-concurrency and --max-errors apply to SSM runs only: add --ssm, or name nodes with transport: ssm',
    );
  }
  let done = 0;
  const runOne = async (node: string): Promise<Result> => {
    const result = await runAction(
      {
        action: req.action,
        node,
        params: req.params,
        dryRun: req.dryRun,
        pluginDryRun: req.pluginDryRun,
        ...(req.timeoutMs !== undefined ? { timeoutMs: req.timeoutMs } : {}),
        ...(req.forceSsm ? { transport: 'ssm' as const } : {}),
        ...(req.ssm && Object.keys(req.ssm).length > 0 ? { ssm: req.ssm } : {}),
        trigger: req.trigger,
        alert: null,
        jobId: randomUUID(),
        traceId: randomBytes(16).toString('hex'),
      },
      deps,
    );
    onDone?.(result, ++done, nodes.length);
    return result;
  };
  const byNode = new Map<string, Result>();
  const other = nodes.filter((n) => !ssmNodes.has(n));
  await Promise.all([
    mapBounded(other, req.concurrency, async (n) => void byNode.set(n, await runOne(n))),
    Promise.all([...ssmNodes].map(async (n) => void byNode.set(n, await runOne(n)))),
  ]);
  return nodes.map((n) => byNode.get(n) as Result);
}
