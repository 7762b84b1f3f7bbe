/** JSON Schema of rules.yaml (the parts the core reads; the rule engine refines `rules`). */
const duration = { type: 'string', pattern: '^(\\d+(ms|s|m|h|d))+$', description: 'A duration such as 30s, 5m, 1h30m' };
/** OpenSSH's ProxyJump form, one hop: [user@]host[:port], IPv6 in brackets; `none` turns a default off. */
const jump = {
  type: 'string',
  pattern: '^(none|([A-Za-z0-9_][A-Za-z0-9_.-]{0,63}@)?([A-Za-z0-9][A-Za-z0-9_.-]{0,252}|\\[[0-9A-Fa-f:.]{2,45}\\])(:[0-9]{1,5})?)$',
  description: 'Jump host (bastion) to reach the node through, as [user@]host[:port]; none for a direct connection',
};

export const CONFIG_SCHEMA = {
  $id: 'https://rune.dev/schemas/rules.json',
  type: 'object',
  additionalProperties: false,
  properties: {
    defaults: {
      type: 'object',
      additionalProperties: false,
      properties: {
        transport: { enum: ['ssh', 'ssm', 'local'], description: 'Transport for nodes that do not name one' },
        timeout: { ...duration, description: 'Run timeout for plugins that declare none' },
        user: { type: 'string', minLength: 1, description: 'SSH user for nodes that do not name one' },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        connect_timeout: duration,
        concurrency: { type: 'integer', minimum: 1, maximum: 1000, description: 'Nodes contacted at once by one run' },
        jump,
      },
    },
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 253, description: 'Node name, or a glob (* and ?) for a family of nodes' },
          address: { type: 'string', minLength: 1, maxLength: 253, description: 'Host name or IP; defaults to the node name' },
          user: { type: 'string', minLength: 1, maxLength: 64 },
          port: { type: 'integer', minimum: 1, maximum: 65535 },
          transport: { enum: ['ssh', 'ssm', 'local'] },
          instance_id: { type: 'string', minLength: 1 },
          connect_timeout: duration,
          jump,
        },
      },
    },
    notify: { type: 'object' },
    rules: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
  },
} as const;
