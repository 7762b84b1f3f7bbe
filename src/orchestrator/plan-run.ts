import type { RuneConfig } from '../config/config-types';
import { RuneError } from '../core/errors';
import { findPlugin } from '../plugins/find-plugin';
import type { PluginRegistry } from '../plugins/load-registry';
import { mergeRateControls } from '../transports/ssm-rate-controls';
import type { PluginPayload, RunRequest } from '../core/types';
import { parseDuration } from '../util/duration';
import { resolveNode, type ResolveEnv } from './resolve-node';
import type { Plan } from '../mediator/plan';

/**
 * The orchestrator's pure part: validate action and params (defaults applied), resolve the node,
 * build the payload and pick the transport. Throws RuneError (stage validate) on bad input.
 */
export function planRun(req: RunRequest, registry: PluginRegistry, config: RuneConfig, env: ResolveEnv): Plan {
  const plugin = findPlugin(registry, req.action);
  const params = structuredClone(req.params);
  const validate = registry.validator(plugin.name);
  if (!validate(params)) {
    const problems = (validate.errors ?? []).map((e) => {
      const where = e.instancePath ? `params${e.instancePath.replace(/\//g, '.')}` : 'params';
      const extra = e.keyword === 'additionalProperties' ? ` "${String(e.params.additionalProperty)}"` : '';
      return `${where} ${e.message ?? 'is invalid'}${extra}`;
    });
    throw new RuneError('INVALID_PARAMS', `invalid params for ${plugin.name}: ${problems.join('; ')}`, {
      action: plugin.name,
      problems,
    });
  }
  const target = resolveNode(config, req.node, env, req.transport, req.alert);
  if (target.transport === 'ssm') {
    // The rule that triggered the run (trigger.rule, kept on API retries too) carries its own controls.
    const rule = req.trigger.rule === undefined ? undefined : config.rules.find((r) => r.name === req.trigger.rule);
    const ssm = mergeRateControls(config.defaults.ssm, rule?.ssm, req.ssm);
    if (ssm.maxConcurrency !== undefined || ssm.maxErrors !== undefined) target.ssm = ssm;
  }
  const timeoutMs = req.timeoutMs ?? plugin.timeoutMs ?? parseDuration(config.defaults.timeout) ?? 120_000;
  const payload: PluginPayload = {
    contract: 'rune.plugin/v1',
    action: plugin.name,
    version: plugin.version,
    job_id: req.jobId,
    trace_id: req.traceId,
    node: target.node,
    dry_run: req.pluginDryRun,
    params,
    alert: req.alert,
  };
  return { request: req, plugin, target, payload, timeoutMs };
}
