import { PLUGIN_NAME_PATTERN } from '../core/plugin-name';
import { MAX_CONCURRENCY_PATTERN, MAX_ERRORS_PATTERN } from './rate-control-problem';

const duration = {
  type: 'string',
  pattern: '^(\\d+(ms|s|m|h|d))+$',
  description: 'A duration such as 30s, 5m, 1h30m',
  examples: ['30s', '5m', '1h30m'],
};
/** OpenSSH's ProxyJump form, one hop: [user@]host[:port], IPv6 in brackets; `none` turns a default off. */
const jump = {
  type: 'string',
  pattern:
    '^(none|([A-Za-z0-9_][A-Za-z0-9_.-]{0,63}@)?([A-Za-z0-9][A-Za-z0-9_.-]{0,252}|\\[[0-9A-Fa-f:.]{2,45}\\])(:[0-9]{1,5})?)$',
  description: 'Jump host (bastion) to reach the node through, as [user@]host[:port]; none for a direct connection',
  examples: ['ops@bastion-1', 'bastion.example.com:2222', 'none'],
};
/** SendCommand's MaxConcurrency / MaxErrors (docs/protocols.md §4.1): a YAML integer or a string such as "25%". */
const ssm = {
  type: 'object',
  additionalProperties: false,
  description: 'AWS SSM rate controls for the SendCommand of each batch of up to 50 nodes (transport: ssm)',
  properties: {
    max_concurrency: {
      type: ['integer', 'string'],
      minimum: 1,
      maximum: 9999999,
      maxLength: 7,
      pattern: MAX_CONCURRENCY_PATTERN.source,
      description: 'Instances running at once, a count or a percentage such as "25%" (SSM default 50)',
      examples: [10, '25%'],
    },
    max_errors: {
      type: ['integer', 'string'],
      minimum: 0,
      maximum: 9999999,
      maxLength: 7,
      pattern: MAX_ERRORS_PATTERN.source,
      description:
        'Failed instances after which SSM sends the command to no more, a count or a percentage (SSM default 0)',
      examples: [0, 1, '10%'],
    },
  },
};

/** Guards (docs/safety.md), per rule and under defaults.guards; a rule's own value wins. */
const guards = {
  cooldown: {
    ...duration,
    description: 'At most one run of this rule per node per window (0s: none)',
    examples: ['30m', '1h', '0s'],
  },
  budget: {
    type: 'object',
    additionalProperties: false,
    required: ['max_runs', 'per'],
    description:
      'At most max_runs runs of this rule per window, across all nodes; further matches are skipped (budget)',
    properties: {
      max_runs: { type: 'integer', minimum: 1, description: 'Runs allowed per window', examples: [5] },
      per: { ...duration, description: 'The window', examples: ['1h', '24h'] },
    },
  },
  blast_radius: {
    type: 'object',
    additionalProperties: false,
    required: ['per'],
    description:
      'At most max_nodes distinct nodes, or max_percent of the inventory nodes the rule could touch, per window (one of the two)',
    properties: {
      max_nodes: { type: 'integer', minimum: 1, description: 'Distinct nodes per window', examples: [3] },
      max_percent: {
        type: 'number',
        exclusiveMinimum: 0,
        maximum: 100,
        description: 'Percent of the inventory nodes the rule could touch, per window (at least one node)',
        examples: [10, 25],
      },
      per: { ...duration, description: 'The window', examples: ['1h'] },
    },
  },
  cancel_running_on_resolve: {
    type: 'boolean',
    description:
      'When the alert resolves while a read-only step of this rule runs for it, stop that step (TERM, then KILL after 5s) and mark it cancelled; mutating steps always run to their end (default false)',
    examples: [true],
  },
  breaker: {
    type: 'object',
    additionalProperties: false,
    description:
      'Circuit breaker: after `failures` failed runs in a row the rule stops (breaker_open) until an operator closes it or a probe run succeeds',
    properties: {
      failures: {
        type: 'integer',
        minimum: 1,
        maximum: 1000,
        description: 'Failed runs in a row that open the breaker (default 3)',
        examples: [3],
      },
      probe_after: {
        ...duration,
        description: 'After this long open, the next match runs as a probe (default 15m)',
        examples: ['15m', '1h'],
      },
    },
  },
} as const;

/** JSON Schema of rules.yaml. rules.schema.json is generated from it (scripts/write-rules-schema.js). */
export const CONFIG_SCHEMA = {
  $id: 'https://rune.dev/schemas/rules.json',
  title: 'RUNE rules.yaml',
  description:
    'The inventory of nodes RUNE may touch, defaults, notifiers and rules (docs/configuration.md, docs/rules.md)',
  type: 'object',
  additionalProperties: false,
  properties: {
    defaults: {
      type: 'object',
      additionalProperties: false,
      description: 'Settings for nodes that do not name their own',
      properties: {
        transport: {
          enum: ['ssh', 'ssm', 'local'],
          description: 'Transport for nodes that do not name one',
          examples: ['ssh'],
        },
        timeout: { ...duration, description: 'Run timeout for plugins that declare none', examples: ['120s', '5m'] },
        user: {
          type: 'string',
          minLength: 1,
          description: 'SSH user for nodes that do not name one',
          examples: ['rune'],
        },
        port: {
          type: 'integer',
          minimum: 1,
          maximum: 65535,
          description: 'SSH port for nodes that do not name one',
          examples: [22],
        },
        connect_timeout: {
          ...duration,
          description: 'TCP connect + SSH handshake + authentication',
          examples: ['10s'],
        },
        concurrency: {
          type: 'integer',
          minimum: 1,
          maximum: 1000,
          description: 'Nodes contacted at once by one run',
          examples: [20],
        },
        jump,
        ssm,
        guards: {
          type: 'object',
          additionalProperties: false,
          description: 'Guards for every rule that sets none of its own (docs/safety.md)',
          properties: {
            ...guards,
            node_lock_wait: {
              ...duration,
              description:
                'How long a mutating job waits for its node lock before it is skipped as node_busy (default 10m)',
              examples: ['10m'],
            },
          },
        },
      },
    },
    nodes: {
      type: 'array',
      description: 'The inventory: RUNE touches no host that is not listed here',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: {
            type: 'string',
            minLength: 1,
            maxLength: 253,
            description: 'Node name, or a glob (* and ?) for a family of nodes',
            examples: ['web-1', 'db-*', 'ip-10-0-*'],
          },
          address: {
            type: 'string',
            minLength: 1,
            maxLength: 253,
            description: 'Host name or IP; defaults to the node name',
            examples: ['10.0.1.23', 'web-1.internal.example.com'],
          },
          user: { type: 'string', minLength: 1, maxLength: 64, description: 'SSH user', examples: ['ops'] },
          port: { type: 'integer', minimum: 1, maximum: 65535, description: 'SSH port', examples: [22, 2222] },
          transport: {
            enum: ['ssh', 'ssm', 'local'],
            description: 'How RUNE reaches the node',
            examples: ['ssh', 'ssm', 'local'],
          },
          instance_id: {
            type: 'string',
            // SSM's InstanceId pattern (docs/protocols.md §4.1), or a template such as {{ labels.instance_id }}.
            pattern: '^(i-(\\w{8}|\\w{17})|mi-\\w{17}|.*\\{\\{.*\\}\\}.*)$',
            description:
              'SSM managed instance id (i-… or mi-…), or a template rendered from the alert such as "{{ labels.instance_id }}"',
            examples: ['i-0abc1234def567890', '{{ labels.instance_id }}'],
          },
          connect_timeout: {
            ...duration,
            description: 'TCP connect + SSH handshake + authentication',
            examples: ['10s'],
          },
          jump,
        },
      },
    },
    notify: {
      type: 'object',
      additionalProperties: false,
      description:
        'Where results are reported; rules name these in their notify list. Secrets never live here: use the *_file keys or environment variables.',
      properties: {
        pagerduty: {
          type: 'object',
          additionalProperties: false,
          required: ['from'],
          description:
            'Notes on the PagerDuty incident. The REST API token comes from token_file, else RUNE_PAGERDUTY_TOKEN or RUNE_PAGERDUTY_TOKEN_FILE.',
          properties: {
            from: {
              type: 'string',
              pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
              description: 'Email of a PagerDuty user, sent as the From header of notes',
              examples: ['rune-bot@example.com'],
            },
            token_file: {
              type: 'string',
              minLength: 1,
              description: 'File holding the PagerDuty REST API token',
              examples: ['/run/secrets/pagerduty_token'],
            },
          },
        },
        slack: {
          type: 'object',
          additionalProperties: false,
          required: ['webhook_url_file'],
          description: 'A message in a Slack channel through an incoming webhook',
          properties: {
            webhook_url_file: {
              type: 'string',
              minLength: 1,
              description: 'File holding the Slack incoming-webhook URL (the URL is the secret)',
              examples: ['/run/secrets/slack_url'],
            },
          },
        },
        webhook: {
          type: 'object',
          additionalProperties: false,
          required: ['url'],
          description: 'A JSON POST of every result to a URL of yours',
          properties: {
            url: {
              type: 'string',
              pattern: '^https?://\\S+$',
              description: 'http:// or https:// URL that receives the results',
              examples: ['https://hooks.example.com/rune'],
            },
            secret_file: {
              type: 'string',
              minLength: 1,
              description: 'File holding the secret that signs each request',
              examples: ['/run/secrets/rune_webhook_secret'],
            },
          },
        },
      },
    },
    rules: {
      type: 'array',
      description: 'What RUNE does when an alert arrives: every rule whose matchers match runs its steps',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'matchers', 'steps'],
        properties: {
          name: {
            type: 'string',
            pattern: '^[a-z0-9][a-z0-9_.-]{0,62}$',
            description: 'Unique rule name (lower case, digits, _ . -), shown in history and notes',
            examples: ['docker-daemon-down'],
          },
          description: {
            type: 'string',
            description: 'What the rule is for, for the people who read it',
            examples: ['Restart Docker when its daemon stops answering'],
          },
          matchers: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'string',
              minLength: 1,
              description:
                'Alertmanager matcher: name="v", name!="v", name=~"regex", name!~"regex" (regexes are anchored)',
            },
            description: "All must match the alert's labels (Alertmanager syntax, one matcher per item)",
            examples: [['alertname="DockerDaemonDown"', 'severity=~"critical|page"']],
          },
          node: {
            type: 'string',
            minLength: 1,
            default: '{{ labels.instance | hostname }}',
            description: 'Template of the node to run on, looked up in nodes: by name, then address, then glob',
            examples: ['{{ labels.instance | hostname }}', '{{ labels.nodename }}'],
          },
          on: {
            enum: ['firing', 'resolved'],
            default: 'firing',
            description: 'Run when the alert fires (default) or when it resolves',
            examples: ['firing', 'resolved'],
          },
          steps: {
            type: 'array',
            minItems: 1,
            description:
              'Actions run in order; the run stops at the first failure unless that step says continue_on_error',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['action'],
              properties: {
                action: {
                  type: 'string',
                  pattern: PLUGIN_NAME_PATTERN.source,
                  description: 'Plugin name (rune actions lists them)',
                  examples: ['restart-docker', 'gather-logs'],
                },
                params: {
                  type: 'object',
                  description: "Plugin params; strings may hold templates; checked against the plugin's schema",
                  examples: [{ since: '30m', units: ['docker'] }, { paths: ['{{ labels.mountpoint }}'] }],
                },
                continue_on_error: {
                  type: 'boolean',
                  default: false,
                  description: 'Run the next step even when this one fails',
                  examples: [true],
                },
              },
            },
          },
          notify: {
            type: 'array',
            uniqueItems: true,
            items: { enum: ['pagerduty', 'slack', 'webhook'] },
            description: 'Notifiers (configured under notify:) that receive the results',
            examples: [['pagerduty'], ['pagerduty', 'slack']],
          },
          ...guards,
          ssm,
        },
      },
    },
  },
} as const;

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
