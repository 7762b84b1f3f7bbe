import type { Static } from '@sinclair/typebox';
import type { ErrorCode } from '../core/errors';
import type { SsmRateControlsSpec, TransportKind } from '../core/types';
import type { CONFIG_SCHEMA, DEFAULTS_SCHEMA, NODE_SCHEMA, NOTIFY_SCHEMA } from './config-schema';
import type { DEFAULT_GUARDS_SCHEMA, GUARD_PROPERTIES } from './guards-schema';
import type { RULE_SCHEMA, STEP_SCHEMA } from './rule-schema';
import type { SSM_SCHEMA } from './value-schemas';

/*
 * The types of rules.yaml, derived from its schema (config-schema.ts): change the schema and these
 * follow; code that reads a key the schema does not have fails `npm run typecheck`.
 */

/** One inventory entry of `nodes:` in rules.yaml. `name` may be a glob (`ip-10-0-*`). */
export type NodeSpec = Static<typeof NODE_SCHEMA>;

/** `defaults:` as written in rules.yaml. */
export type DefaultsSpec = Static<typeof DEFAULTS_SCHEMA>;

/** `defaults:` once BUILTIN_DEFAULTS are applied: these keys always have a value. */
export type Defaults = DefaultsSpec &
  Required<Pick<DefaultsSpec, 'transport' | 'timeout' | 'port' | 'connect_timeout' | 'concurrency'>>;

/** One entry of `rules:` as written; src/rules/compile-rules.ts applies the defaults. */
export type RuleSpec = Static<typeof RULE_SCHEMA>;

/** The guards a rule may set, and `defaults.guards` may set for all (a rule's own value wins). */
export type GuardsSpec = Pick<RuleSpec, keyof typeof GUARD_PROPERTIES>;
export type DefaultGuardsSpec = Static<typeof DEFAULT_GUARDS_SCHEMA>;
export type BudgetSpec = NonNullable<GuardsSpec['budget']>;
export type BlastRadiusSpec = NonNullable<GuardsSpec['blast_radius']>;
export type BreakerSpec = NonNullable<GuardsSpec['breaker']>;
/** `verify:` of a rule or of defaults (docs/rules.md, verify). */
export type VerifySpec = NonNullable<RuleSpec['verify']>;
/** `silence:` of a rule or of defaults (docs/rules.md, silence). */
export type SilenceSpec = NonNullable<RuleSpec['silence']>;
/** `escalate:` of a rule or of defaults (docs/rules.md, escalate). */
export type EscalateSpec = NonNullable<RuleSpec['escalate']>;

/** One step of a rule: a plugin to run, with params that may hold templates. */
export type StepSpec = Static<typeof STEP_SCHEMA>;

/** `notify:` in rules.yaml. Secrets are never inline: `*_file` keys or environment variables. */
export type NotifyConfig = Static<typeof NOTIFY_SCHEMA>;
export type NotifierName = keyof NotifyConfig;

/** The whole file as written. */
export type ConfigSpec = Static<typeof CONFIG_SCHEMA>;

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

/**
 * What the schema accepted of a file (src/config/prune-invalid.ts): every key optional, an array item
 * undefined where the schema refused it. The checks after the schema read this, so that one pass
 * reports every problem.
 */
export type Parsed<T> = T extends readonly (infer U)[]
  ? (Parsed<U> | undefined)[]
  : T extends object
    ? { [K in keyof T]?: Parsed<T[K]> }
    : T;

/** A file's parsed parts, with the line of every key and item: what checks after the schema read. */
export interface ParsedConfig {
  /** The file, for messages. */
  source: string;
  defaults: Parsed<DefaultsSpec>;
  nodes: Parsed<NodeSpec[]>;
  notify: Parsed<NotifyConfig>;
  rules: Parsed<RuleSpec[]>;
  /** Line of every key and list item in the file, by dotted path (`rules[0].steps[1].action`). */
  lines: ReadonlyMap<string, number>;
}

/** A check that runs after the schema on what parsed (e.g. src/rules/check-rules-against-registry.ts). */
export type ConfigCheck = (parsed: ParsedConfig) => ConfigProblem[];

/** One problem in a file, compiler style: `file:line: path: message`. */
export interface ConfigProblem {
  file: string;
  line: number | null;
  path: string;
  message: string;
  /** The error code when it is more precise than CONFIG_INVALID (UNKNOWN_ACTION, PLUGIN_BROKEN, …). */
  code?: ErrorCode;
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

/*
 * core/types.ts (rank 0) cannot import the schema, so the few rules.yaml shapes it names are
 * checked against it here: a difference fails `npm run typecheck`.
 */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;
export type _TransportAgrees = Assert<Equal<NonNullable<NodeSpec['transport']>, TransportKind>>;
export type _SsmAgrees = Assert<Equal<Static<typeof SSM_SCHEMA>, SsmRateControlsSpec>>;
export type _NotifierNamesAgree = Assert<Equal<NonNullable<RuleSpec['notify']>[number], NotifierName>>;
