import type { PluginMeta } from '../plugins/plugin-meta';
import type { PluginPayload, RunRequest } from '../core/types';
import type { Target } from '../transports/transport';

/** A validated run, ready to execute: built by the orchestrator (planRun), carried out by the mediator. */
export interface Plan {
  request: RunRequest;
  plugin: PluginMeta;
  target: Target;
  payload: PluginPayload;
  timeoutMs: number;
}
