import type { SsmRateControlsSpec } from '../core/types';
/**
 * SendCommand's rate controls (docs/protocols.md §4.1), checked where they are written
 * (src/config/rate-control-problem.ts). SSM applies them per command, so per batch of up to 50 instances.
 */
export interface SsmRateControls {
  /** Instances running the command at once; SSM's default is 50. */
  maxConcurrency?: string;
  /** Failed instances after which SSM stops sending the command to more; SSM's default is 0. */
  maxErrors?: string;
}

/**
 * Merges layers (rules.yaml defaults, then the rule, then the command line), later ones winning
 * per field. Values are checked by the config schema and the CLI before they get here.
 */
export function mergeRateControls(...layers: (SsmRateControlsSpec | undefined)[]): SsmRateControls {
  const out: SsmRateControls = {};
  for (const layer of layers) {
    if (layer?.max_concurrency !== undefined) out.maxConcurrency = String(layer.max_concurrency);
    if (layer?.max_errors !== undefined) out.maxErrors = String(layer.max_errors);
  }
  return out;
}
