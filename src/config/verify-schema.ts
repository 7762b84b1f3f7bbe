import { Type } from '@sinclair/typebox';
import { duration, stringEnum } from './value-schemas';

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

/**
 * `silence:` (docs/rules.md, silence), per rule and under `defaults`: an Alertmanager silence for
 * the alert while RUNE repairs it, so nobody is paged for what is being fixed.
 */
export const SILENCE_SCHEMA = Type.Object(
  {
    during: Type.Optional(
      stringEnum(['run', 'until_verified'], {
        default: 'run',
        description: 'Until the rule run ends (run), or until its verification ends (until_verified)',
        examples: ['run', 'until_verified'],
      }),
    ),
    max: duration({
      description: 'The silence never lasts longer than this from its start, whatever happens to RUNE',
      examples: ['30m', '1h'],
    }),
  },
  {
    additionalProperties: false,
    description:
      'Silence the alert in Alertmanager (RUNE_ALERTMANAGER_URL) from before the first mutating step until the run ' +
      'ends or is verified, never longer than max',
  },
);

/** Why RUNE escalates a rule run to a person (docs/rules.md, escalate). */
export const ESCALATE_REASONS = ['failed', 'not_fixed', 'breaker_open'] as const;

/**
 * `escalate:` (docs/rules.md, escalate), per rule and under `defaults`: a PagerDuty Events API v2
 * trigger (a new alert with the job link) when the run failed, was not fixed, or opened the breaker.
 */
export const ESCALATE_SCHEMA = Type.Object(
  {
    on: Type.Optional(
      Type.Array(
        stringEnum(ESCALATE_REASONS, {
          description: 'failed: the rule run failed; not_fixed: its verification; breaker_open: it opened the breaker',
          examples: ['failed'],
        }),
        {
          minItems: 1,
          uniqueItems: true,
          description: 'When to escalate (default all three)',
          examples: [['failed', 'not_fixed']],
        },
      ),
    ),
    severity: Type.Optional(
      stringEnum(['critical', 'error', 'warning', 'info'], {
        default: 'error',
        description: "The PagerDuty event's severity",
        examples: ['critical', 'error'],
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Page a person through the PagerDuty Events API v2 (routing key RUNE_PAGERDUTY_ROUTING_KEY) when the run ' +
      'failed, was not fixed, or opened the breaker',
  },
);
