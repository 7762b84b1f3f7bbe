/** JSON Schema of a rule tests file (`rune rules test --tests rules.test.yaml`, docs/rules.md). */

const stringMap = { type: 'object', additionalProperties: { type: 'string' } };

export const RULE_TESTS_SCHEMA = {
  title: 'RUNE rule tests',
  description: 'Cases for `rune rules test --tests`: alerts in, the invocations the rules must give out',
  type: 'object',
  additionalProperties: false,
  required: ['tests'],
  properties: {
    tests: {
      type: 'array',
      description: 'The cases, each checked on its own',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'alerts', 'expect'],
        properties: {
          name: { type: 'string', minLength: 1, description: 'What the case shows, printed when it fails' },
          alerts: {
            type: 'array',
            minItems: 1,
            description: 'Alerts as Alertmanager sends them; only labels are required',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['labels'],
              properties: {
                labels: { ...stringMap, description: 'Label values are strings: quote numbers ("9100")' },
                annotations: stringMap,
                status: { enum: ['firing', 'resolved'], description: 'Default firing' },
                startsAt: { type: 'string', description: 'RFC 3339; default 2024-01-01T00:00:00Z' },
                fingerprint: { type: 'string', description: "Default: Alertmanager's fingerprint of the labels" },
              },
            },
          },
          expect: {
            type: 'array',
            description:
              'Every invocation the alerts must give ([] for none): ' +
              'in step order within a rule, any order across rules',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['rule', 'action', 'node'],
              properties: {
                rule: { type: 'string' },
                action: { type: 'string' },
                node: {
                  type: 'string',
                  description:
                    'The inventory node it runs on (web-1), or the rendered name when that is not in the inventory',
                },
                params: {
                  type: 'object',
                  description: 'When given: exactly the params the rule renders (before plugin defaults)',
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

export function ruleTestsSchemaJson(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...RULE_TESTS_SCHEMA }, null, 2)}\n`;
}
