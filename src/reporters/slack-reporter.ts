import { renderSlackMessage } from './render-note';
import { internalFailure, type Reporter } from './reporter';
import { describeFailure, originOf, requestWithRetry, urlSecrets, type RetryOptions } from './request-with-retry';

export interface SlackReporterOptions extends RetryOptions {
  /** Incoming-webhook URL. Its path is the credential: it never appears in a Delivery. */
  webhookUrl: string;
  publicUrl: string;
  now?: () => Date;
  /** Delivery.reporter; default `slack`. */
  name?: string;
}

/**
 * Posts the Result to a Slack incoming webhook. Slack answers `200 ok`, a 4xx with a reason in
 * plain text (`invalid_payload`, `channel_not_found`, …) that retrying will not fix, and 429 with
 * `Retry-After` in seconds (api.slack.com/messaging/webhooks, /docs/rate-limits).
 */
export function createSlackReporter(opts: SlackReporterOptions): Reporter {
  const name = opts.name ?? 'slack';
  const now = opts.now ?? (() => new Date());
  const retry: RetryOptions = { maxAttempts: 3, ...opts };
  return {
    name,
    async report(result) {
      try {
        const body = JSON.stringify(renderSlackMessage(result, { publicUrl: opts.publicUrl }));
        const out = await requestWithRetry(
          () => ({ method: 'POST', url: opts.webhookUrl, headers: { 'Content-Type': 'application/json' }, body }),
          { ...retry, waitHeaders: ['retry-after'] },
        );
        return {
          reporter: name,
          ok: out.ok,
          status: out.status,
          attempts: out.attempts,
          target: originOf(opts.webhookUrl),
          error: out.ok ? null : describeFailure('Slack', out, urlSecrets(opts.webhookUrl)),
          at: now().toISOString(),
        };
      } catch (err) {
        return internalFailure(name, err, now());
      }
    },
  };
}
