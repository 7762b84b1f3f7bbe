import type { SsmRateControlsSpec } from '../core/types';
/**
 * SendCommand's rate controls (docs/protocols.md §4.1): strings of 1–7 characters, a count or a
 * percentage. SSM applies them per command, so per batch of up to 50 instances.
 */
export interface SsmRateControls {
  /** Instances running the command at once; SSM's default is 50. */
  maxConcurrency?: string;
  /** Failed instances after which SSM stops sending the command to more; SSM's default is 0. */
  maxErrors?: string;
}

export const MAX_CONCURRENCY_PATTERN = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
export const MAX_ERRORS_PATTERN = /^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$/;

/** Why `value` is not a valid MaxConcurrency / MaxErrors, or null when it is. */
export function rateControlProblem(kind: 'max_concurrency' | 'max_errors', value: string): string | null {
  const pattern = kind === 'max_concurrency' ? MAX_CONCURRENCY_PATTERN : MAX_ERRORS_PATTERN;
  if (value.length <= 7 && pattern.test(value)) return null;
  const examples = kind === 'max_concurrency' ? '10, 50 or 25%; at least 1' : '0, 5 or 10%';
  return `${kind} ${JSON.stringify(value)} is not a count or percentage SSM accepts (e.g. ${examples})`;
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
