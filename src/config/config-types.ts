import type { TransportKind } from '../types';

/** One inventory entry of `nodes:` in rules.yaml. `name` may be a glob (`ip-10-0-*`). */
export interface NodeSpec {
  name: string;
  address?: string;
  user?: string;
  port?: number;
  transport?: TransportKind;
  instance_id?: string;
  connect_timeout?: string;
  /** Jump host, `[user@]host[:port]` (OpenSSH's ProxyJump, one hop), or `none`. */
  jump?: string;
}

export interface Defaults {
  transport: TransportKind;
  timeout: string;
  user?: string;
  port: number;
  connect_timeout: string;
  /** How many nodes one `rune run` contacts at once. */
  concurrency: number;
  /** Jump host for nodes that name none. */
  jump?: string;
}

export interface RuneConfig {
  /** Where the config came from: a path, or "<embedded defaults>". */
  source: string;
  defaults: Defaults;
  nodes: NodeSpec[];
  notify: Record<string, unknown>;
  /** Rules are interpreted by the rule engine (issue #3); kept as parsed here. */
  rules: Record<string, unknown>[];
}

export interface ConfigProblem {
  file: string;
  line: number | null;
  path: string;
  message: string;
}

export const BUILTIN_DEFAULTS: Defaults = {
  transport: 'ssh',
  timeout: '120s',
  port: 22,
  connect_timeout: '10s',
  concurrency: 20,
};

/** Used when no rules.yaml exists at the default path: RUNE can only touch its own host. */
export const EMBEDDED_CONFIG: Omit<RuneConfig, 'source'> = {
  defaults: BUILTIN_DEFAULTS,
  nodes: [{ name: 'localhost', transport: 'local' }],
  notify: {},
  rules: [],
};
