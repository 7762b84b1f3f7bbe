import type { SsmRateControlsSpec, TransportKind } from '../core/types';

/** One inventory entry of `nodes:` in rules.yaml. `name` may be a glob (`ip-10-0-*`). */
export interface NodeSpec {
  name: string;
  address?: string;
  user?: string;
  port?: number;
  transport?: TransportKind;
  /** SSM instance id, or a template rendered from the alert (`{{ labels.instance_id }}`). */
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
  /** SSM MaxConcurrency / MaxErrors for rules (and runs) that set none. */
  ssm?: SsmRateControlsSpec;
  /** Guards for every rule that sets none of its own (docs/safety.md). */
  guards?: DefaultGuardsSpec;
}

/** `budget:` at most max_runs admitted runs of a rule per window, across all nodes. */
export interface BudgetSpec {
  max_runs: number;
  per: string;
}

/** `blast_radius:` at most N distinct nodes, or P% of the nodes the rule could touch, per window. */
export interface BlastRadiusSpec {
  max_nodes?: number;
  max_percent?: number;
  per: string;
}

/** `breaker:` open after `failures` failed runs in a row; a probe run is let through after `probe_after`. */
export interface BreakerSpec {
  failures?: number;
  probe_after?: string;
}

/** The guards a rule may set, and `defaults.guards` may set for all (a rule's own value wins). */
export interface GuardsSpec {
  cooldown?: string;
  budget?: BudgetSpec;
  blast_radius?: BlastRadiusSpec;
  breaker?: BreakerSpec;
  /** A resolve stops this rule's running read-only steps for that alert (default false). */
  cancel_running_on_resolve?: boolean;
}

export interface DefaultGuardsSpec extends GuardsSpec {
  /** How long a mutating job waits for its node's lock before it is skipped (node_busy). */
  node_lock_wait?: string;
}

/** One step of a rule: a plugin to run, with params that may hold templates. */
export interface StepSpec {
  action: string;
  params?: Record<string, unknown>;
  /** Run the next step even when this one fails (default false: stop at the first failure). */
  continue_on_error?: boolean;
}

/** One entry of `rules:` as written; src/rules/compile-rules.ts applies the defaults. */
export interface RuleSpec extends GuardsSpec {
  name: string;
  description?: string;
  /** Alertmanager matchers (`name="v"`, `!=`, `=~`, `!~`), all of which must match. */
  matchers: string[];
  /** Template of the node to run on; default `{{ labels.instance | hostname }}`. */
  node?: string;
  /** Which alert status runs the rule; default firing. */
  on?: 'firing' | 'resolved';
  steps: StepSpec[];
  notify?: NotifierName[];
  /** SSM MaxConcurrency / MaxErrors for this rule's runs (over defaults.ssm). */
  ssm?: SsmRateControlsSpec;
}

/** `notify:` in rules.yaml. Secrets are never inline: `*_file` keys or environment variables. */
export interface NotifyConfig {
  /** Token from token_file, else RUNE_PAGERDUTY_TOKEN(_FILE). */
  pagerduty?: { from: string; token_file?: string };
  slack?: { webhook_url_file: string };
  webhook?: { url: string; secret_file?: string };
}

export type NotifierName = keyof NotifyConfig;

export interface RuneConfig {
  /** Where the config came from: a path, or "<embedded defaults>". */
  source: string;
  defaults: Defaults;
  nodes: NodeSpec[];
  notify: NotifyConfig;
  rules: RuleSpec[];
  /** Line of every key and list item in the file, by dotted path (`rules[0].steps[1].action`). */
  lines?: ReadonlyMap<string, number>;
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
