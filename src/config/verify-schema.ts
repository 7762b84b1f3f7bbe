import { Type } from '@sinclair/typebox';
import { duration } from './value-schemas';

/**
 * `verify:` (docs/rules.md, verify), per rule and under `defaults`: after a rule run succeeded,
 * RUNE watches for `within` whether the alert resolves; the run ends `verified` or `not_fixed`.
 */
export const VERIFY_SCHEMA = Type.Object(
  {
    within: duration({
      description: 'How long after the run the alert has to resolve (0s: no verification)',
      examples: ['10m', '30m'],
    }),
    query: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'A PromQL instant query against RUNE_PROMETHEUS_URL; an empty result counts as resolved, beside ' +
          "the alert's own resolve",
        examples: ['node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes < 0.1'],
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'After the run succeeded, watch whether the alert resolves within the window (resolve notification, ' +
      "Alertmanager's GET /api/v2/alerts, optionally a Prometheus query): the run ends verified or not_fixed",
  },
);
