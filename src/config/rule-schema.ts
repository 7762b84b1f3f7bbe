import { Type } from '@sinclair/typebox';
import { PLUGIN_NAME_PATTERN } from '../core/plugin-name';
import { GUARD_PROPERTIES } from './guards-schema';
import { SSM_SCHEMA, stringEnum } from './value-schemas';
import { ESCALATE_SCHEMA, SILENCE_SCHEMA, VERIFY_SCHEMA } from './verify-schema';

/** One step of a rule: a plugin to run, with params that may hold templates. */
export const STEP_SCHEMA = Type.Object(
  {
    action: Type.String({
      pattern: PLUGIN_NAME_PATTERN.source,
      description: 'Plugin name (rune actions lists them)',
      examples: ['restart-docker', 'gather-logs'],
    }),
    params: Type.Optional(
      // Any object: the plugin's own JSON Schema checks it (src/rules/check-rules-against-registry.ts).
      Type.Unsafe<Record<string, unknown>>({
        type: 'object',
        description: "Plugin params; strings may hold templates; checked against the plugin's schema",
        examples: [{ since: '30m', units: ['docker'] }, { paths: ['{{ labels.mountpoint }}'] }],
      }),
    ),
    continue_on_error: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Run the next step even when this one fails',
        examples: [true],
      }),
    ),
  },
  { additionalProperties: false },
);

/** `on_failure:` (docs/rules.md, escalate), per rule and under `defaults`: steps run when the rule run failed. */
export const ON_FAILURE_SCHEMA = Type.Array(STEP_SCHEMA, {
  minItems: 1,
  description:
    'Steps run in order on the same node when the rule run failed (e.g. gather logs after a failed restart); ' +
    'they never verify, escalate or count for the breaker themselves',
  examples: [[{ action: 'gather-logs', params: { since: '30m' } }]],
});

/** Notifier names a rule may list: the keys of `notify:` (config-types.ts checks that the two agree). */
export const NOTIFIER_NAMES = ['pagerduty', 'slack', 'webhook'] as const;

/** One entry of `rules:` as written; src/rules/compile-rules.ts applies the defaults. */
export const RULE_SCHEMA = Type.Object(
  {
    name: Type.String({
      pattern: '^[a-z0-9][a-z0-9_.-]{0,62}$',
      description: 'Unique rule name (lower case, digits, _ . -), shown in history and notes',
      examples: ['docker-daemon-down'],
    }),
    description: Type.Optional(
      Type.String({
        description: 'What the rule is for, for the people who read it',
        examples: ['Restart Docker when its daemon stops answering'],
      }),
    ),
    matchers: Type.Array(
      Type.String({
        minLength: 1,
        description: 'Alertmanager matcher: name="v", name!="v", name=~"regex", name!~"regex" (regexes are anchored)',
      }),
      {
        minItems: 1,
        description: "All must match the alert's labels (Alertmanager syntax, one matcher per item)",
        examples: [['alertname="DockerDaemonDown"', 'severity=~"critical|page"']],
      },
    ),
    node: Type.Optional(
      Type.String({
        minLength: 1,
        default: '{{ labels.instance | hostname }}',
        description: 'Template of the node to run on, looked up in nodes: by name, then address, then glob',
        examples: ['{{ labels.instance | hostname }}', '{{ labels.nodename }}'],
      }),
    ),
    on: Type.Optional(
      stringEnum(['firing', 'resolved'], {
        default: 'firing',
        description: 'Run when the alert fires (default) or when it resolves',
        examples: ['firing', 'resolved'],
      }),
    ),
    steps: Type.Array(STEP_SCHEMA, {
      minItems: 1,
      description: 'Actions run in order; the run stops at the first failure unless that step says continue_on_error',
    }),
    notify: Type.Optional(
      Type.Array(stringEnum(NOTIFIER_NAMES, {}), {
        uniqueItems: true,
        description: 'Notifiers (configured under notify:) that receive the results',
        examples: [['pagerduty'], ['pagerduty', 'slack']],
      }),
    ),
    ...GUARD_PROPERTIES,
    ssm: Type.Optional(SSM_SCHEMA),
    verify: Type.Optional(VERIFY_SCHEMA),
    silence: Type.Optional(SILENCE_SCHEMA),
    escalate: Type.Optional(ESCALATE_SCHEMA),
    on_failure: Type.Optional(ON_FAILURE_SCHEMA),
  },
  { additionalProperties: false },
);
