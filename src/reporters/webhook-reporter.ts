import { createHmac } from 'node:crypto';
import { internalFailure, type Reporter } from './reporter';
import { describeFailure, originOf, requestWithRetry, urlSecrets, type RetryOptions } from './request-with-retry';

export interface WebhookReporterOptions extends RetryOptions {
  url: string;
  /** Shared HMAC key; never sent. */
  secret: string;
  now?: () => Date;
  /** Delivery.reporter; default `webhook`. */
  name?: string;
}

/**
 * Signs a body the way RUNE's generic webhook does:
 *
 *     X-Rune-Timestamp: <unix seconds>
 *     X-Rune-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
 *
 * Receivers recompute the HMAC over the raw bytes they received (before any JSON parsing), compare
 * with a constant-time compare (crypto.timingSafeEqual), and reject timestamps more than a few
 * minutes from their clock, so a captured request cannot be replayed later. The timestamp is
 * inside the signed text, so it cannot be swapped. (The same scheme as Slack's and Stripe's
 * request signing; compare PagerDuty's v1 signatures, docs/protocols.md §2.3.)
 */
export function signWebhookBody(secret: string, timestamp: number, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex')}`;
}

/** POSTs the Result JSON, signed, to an operator's endpoint. */
export function createWebhookReporter(opts: WebhookReporterOptions): Reporter {
  const name = opts.name ?? 'webhook';
  const now = opts.now ?? (() => new Date());
  return {
    name,
    async report(result) {
      try {
        const body = JSON.stringify(result);
        // Signed afresh per attempt: a retry after backoff must not carry a stale timestamp.
        const out = await requestWithRetry(
          () => {
            const ts = Math.floor(now().getTime() / 1000);
            return {
              method: 'POST',
              url: opts.url,
              headers: {
                'Content-Type': 'application/json',
                'X-Rune-Timestamp': String(ts),
                'X-Rune-Signature': signWebhookBody(opts.secret, ts, body),
              },
              body,
            };
          },
          { ...opts, waitHeaders: ['retry-after'] },
        );
        return {
          reporter: name,
          ok: out.ok,
          status: out.status,
          attempts: out.attempts,
          target: originOf(opts.url),
          error: out.ok ? null : describeFailure('webhook', out, [...urlSecrets(opts.url), opts.secret]),
          at: now().toISOString(),
        };
      } catch (err) {
        return internalFailure(name, err, now());
      }
    },
  };
}
