import { Type } from '@sinclair/typebox';
import { duration } from './value-schemas';

/** Guards (docs/safety.md), per rule and under defaults.guards; a rule's own value wins. */
export const GUARD_PROPERTIES = {
  cooldown: Type.Optional(
    duration({
      description: 'At most one run of this rule per node per window (0s: none)',
      examples: ['30m', '1h', '0s'],
    }),
  ),
  budget: Type.Optional(
    Type.Object(
      {
        max_runs: Type.Integer({ minimum: 1, description: 'Runs allowed per window', examples: [5] }),
        per: duration({ description: 'The window', examples: ['1h', '24h'] }),
      },
      {
        additionalProperties: false,
        description:
          'At most max_runs runs of this rule per window, across all nodes; further matches are skipped (budget)',
      },
    ),
  ),
  blast_radius: Type.Optional(
    Type.Object(
      {
        max_nodes: Type.Optional(Type.Integer({ minimum: 1, description: 'Distinct nodes per window', examples: [3] })),
        max_percent: Type.Optional(
          Type.Number({
            exclusiveMinimum: 0,
            maximum: 100,
            description: 'Percent of the inventory nodes the rule could touch, per window (at least one node)',
            examples: [10, 25],
          }),
        ),
        per: duration({ description: 'The window', examples: ['1h'] }),
      },
      {
        additionalProperties: false,
        description:
          'At most max_nodes distinct nodes, or max_percent of the inventory nodes the rule could touch, ' +
          'per window (one of the two)',
      },
    ),
  ),
  cancel_running_on_resolve: Type.Optional(
    Type.Boolean({
      description:
        'When the alert resolves while a read-only step of this rule runs for it, stop that step ' +
        '(TERM, then KILL after 5s) and mark it cancelled; mutating steps always run to their end (default false)',
      examples: [true],
    }),
  ),
  breaker: Type.Optional(
    Type.Object(
      {
        failures: Type.Optional(
          Type.Integer({
            minimum: 1,
            maximum: 1000,
            description: 'Failed runs in a row that open the breaker (default 3)',
            examples: [3],
          }),
        ),
        probe_after: Type.Optional(
          duration({
            description: 'After this long open, the next match runs as a probe (default 15m)',
            examples: ['15m', '1h'],
          }),
        ),
      },
      {
        additionalProperties: false,
        description:
          'Circuit breaker: after `failures` failed runs in a row the rule stops (breaker_open) until an operator ' +
          'closes it or a probe run succeeds',
      },
    ),
  ),
};

/** `defaults.guards`: the guards for every rule that sets none of its own, and the node lock wait. */
export const DEFAULT_GUARDS_SCHEMA = Type.Object(
  {
    ...GUARD_PROPERTIES,
    node_lock_wait: Type.Optional(
      duration({
        description: 'How long a mutating job waits for its node lock before it is skipped as node_busy (default 10m)',
        examples: ['10m'],
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Guards for every rule that sets none of its own (docs/safety.md)',
  },
);
