/** JSON Schema of rules.yaml (the parts the core reads; the rule engine refines `rules`). */
const duration = { type: 'string', pattern: '^(\\d+(ms|s|m|h|d))+$', description: 'A duration such as 30s, 5m, 1h30m' };

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
        },
      },
    },
    notify: { type: 'object' },
    rules: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
  },
} as const;
