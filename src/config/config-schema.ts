import { Type } from '@sinclair/typebox';
import { DEFAULT_GUARDS_SCHEMA } from './guards-schema';
import { ON_FAILURE_SCHEMA, RULE_SCHEMA } from './rule-schema';
import { duration, JUMP_SCHEMA, SSM_SCHEMA, transport } from './value-schemas';
import { ESCALATE_SCHEMA, SILENCE_SCHEMA, VERIFY_SCHEMA } from './verify-schema';

/**
 * The rules.yaml schema is written with TypeBox: each key's JSON Schema, description and examples in
 * one place, and config-types.ts derives the TypeScript types from it (Static<>), so the two cannot
 * drift. rules.schema.json is generated from it for editors (scripts/write-rules-schema.js).
 */

export const DEFAULTS_SCHEMA = Type.Object(
  {
    transport: Type.Optional(transport({ description: 'Transport for nodes that do not name one', examples: ['ssh'] })),
    timeout: Type.Optional(
      duration({ description: 'Run timeout for plugins that declare none', examples: ['120s', '5m'] }),
    ),
    user: Type.Optional(
      Type.String({ minLength: 1, description: 'SSH user for nodes that do not name one', examples: ['rune'] }),
    ),
    port: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65535,
        description: 'SSH port for nodes that do not name one',
        examples: [22],
      }),
    ),
    connect_timeout: Type.Optional(
      duration({ description: 'TCP connect + SSH handshake + authentication', examples: ['10s'] }),
    ),
    concurrency: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        description: 'Nodes contacted at once by one run',
        examples: [20],
      }),
    ),
    jump: Type.Optional(JUMP_SCHEMA),
    ssm: Type.Optional(SSM_SCHEMA),
    guards: Type.Optional(DEFAULT_GUARDS_SCHEMA),
    verify: Type.Optional(VERIFY_SCHEMA),
    silence: Type.Optional(SILENCE_SCHEMA),
    escalate: Type.Optional(ESCALATE_SCHEMA),
    on_failure: Type.Optional(ON_FAILURE_SCHEMA),
  },
  { additionalProperties: false, description: 'Settings for nodes that do not name their own' },
);

/** One inventory entry of `nodes:`. `name` may be a glob (`ip-10-0-*`). */
export const NODE_SCHEMA = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 253,
      description: 'Node name, or a glob (* and ?) for a family of nodes',
      examples: ['web-1', 'db-*', 'ip-10-0-*'],
    }),
    address: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 253,
        description: 'Host name or IP; defaults to the node name',
        examples: ['10.0.1.23', 'web-1.internal.example.com'],
      }),
    ),
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'SSH user', examples: ['ops'] })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'SSH port', examples: [22, 2222] })),
    transport: Type.Optional(
      transport({ description: 'How RUNE reaches the node', examples: ['ssh', 'ssm', 'local'] }),
    ),
    instance_id: Type.Optional(
      Type.String({
        // SSM's InstanceId pattern (docs/protocols.md §4.1), or a template such as {{ labels.instance_id }}.
        pattern: '^(i-(\\w{8}|\\w{17})|mi-\\w{17}|.*\\{\\{.*\\}\\}.*)$',
        description:
          'SSM managed instance id (i-… or mi-…), or a template rendered from the alert ' +
          'such as "{{ labels.instance_id }}"',
        examples: ['i-0abc1234def567890', '{{ labels.instance_id }}'],
      }),
    ),
    connect_timeout: Type.Optional(
      duration({ description: 'TCP connect + SSH handshake + authentication', examples: ['10s'] }),
    ),
    jump: Type.Optional(JUMP_SCHEMA),
  },
  { additionalProperties: false },
);

/** `notify:`. Secrets are never inline: `*_file` keys or environment variables. */
export const NOTIFY_SCHEMA = Type.Object(
  {
    pagerduty: Type.Optional(
      Type.Object(
        {
          from: Type.String({
            pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
            description: 'Email of a PagerDuty user, sent as the From header of notes',
            examples: ['rune-bot@example.com'],
          }),
          token_file: Type.Optional(
            Type.String({
              minLength: 1,
              description: 'File holding the PagerDuty REST API token',
              examples: ['/run/secrets/pagerduty_token'],
            }),
          ),
        },
        {
          additionalProperties: false,
          description:
            'Notes on the PagerDuty incident. The REST API token comes from token_file, ' +
            'else RUNE_PAGERDUTY_TOKEN or RUNE_PAGERDUTY_TOKEN_FILE.',
        },
      ),
    ),
    slack: Type.Optional(
      Type.Object(
        {
          webhook_url_file: Type.String({
            minLength: 1,
            description: 'File holding the Slack incoming-webhook URL (the URL is the secret)',
            examples: ['/run/secrets/slack_url'],
          }),
        },
        { additionalProperties: false, description: 'A message in a Slack channel through an incoming webhook' },
      ),
    ),
    webhook: Type.Optional(
      Type.Object(
        {
          url: Type.String({
            pattern: '^https?://\\S+$',
            description: 'http:// or https:// URL that receives the results',
            examples: ['https://hooks.example.com/rune'],
          }),
          secret_file: Type.Optional(
            Type.String({
              minLength: 1,
              description: 'File holding the secret that signs each request',
              examples: ['/run/secrets/rune_webhook_secret'],
            }),
          ),
        },
        { additionalProperties: false, description: 'A JSON POST of every result to a URL of yours' },
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Where results are reported; rules name these in their notify list. ' +
      'Secrets never live here: use the *_file keys or environment variables.',
  },
);

/** JSON Schema of rules.yaml. */
export const CONFIG_SCHEMA = Type.Object(
  {
    defaults: Type.Optional(DEFAULTS_SCHEMA),
    nodes: Type.Optional(
      Type.Array(NODE_SCHEMA, { description: 'The inventory: RUNE touches no host that is not listed here' }),
    ),
    notify: Type.Optional(NOTIFY_SCHEMA),
    rules: Type.Optional(
      Type.Array(RULE_SCHEMA, {
        description: 'What RUNE does when an alert arrives: every rule whose matchers match runs its steps',
      }),
    ),
  },
  {
    $id: 'https://rune.dev/schemas/rules.json',
    title: 'RUNE rules.yaml',
    description:
      'The inventory of nodes RUNE may touch, defaults, notifiers and rules (docs/configuration.md, docs/rules.md)',
    additionalProperties: false,
  },
);

/**
 * Hints for unknown keys under a notifier that look like an inline secret (`token:`,
 * `webhook_url:`), by the dotted path of the notifier.
 */
export const INLINE_SECRET_HINTS: Readonly<Record<string, string>> = {
  'notify.pagerduty': 'secrets never live in rules.yaml: use token_file or RUNE_PAGERDUTY_TOKEN',
  'notify.slack': 'secrets never live in rules.yaml: use webhook_url_file',
  'notify.webhook': 'secrets never live in rules.yaml: use secret_file',
};

/** The text of rules.schema.json: CONFIG_SCHEMA as a draft-07 document, 2-space indent, final newline. */
export function rulesSchemaJson(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...CONFIG_SCHEMA }, null, 2)}\n`;
}
