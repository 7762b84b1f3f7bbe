import type { Delivery } from '../core/types';
import { plainLine, truncate } from './plain-line';
import { requestWithRetry, type RetryOptions } from './request-with-retry';

/** The Events API v2 base URL (RUNE_PAGERDUTY_EVENTS_URL overrides it). */
export const DEFAULT_PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com';

/** One trigger event (docs/protocols.md §3.4): a new PagerDuty alert that a person must look at. */
export interface TriggerEvent {
  /** ≤ 255 characters; the same key again updates the same alert instead of opening another. */
  dedupKey: string;
  /** ≤ 1024 characters. */
  summary: string;
  source: string;
  severity: 'critical' | 'error' | 'warning' | 'info';
  component?: string;
  group?: string;
  /** The job page: in the event's links and as its client URL. */
  link: string;
  details: Record<string, unknown>;
}

export interface PagerDutyEventsOptions extends RetryOptions {
  baseUrl: string;
  /** The integration (routing) key: a secret, sent only in the body. */
  routingKey: string;
}

/** POST /v2/enqueue with event_action trigger; a Delivery (never throws, never holds the key). */
export async function sendTriggerEvent(e: TriggerEvent, o: PagerDutyEventsOptions, now: () => Date): Promise<Delivery> {
  const url = `${o.baseUrl.replace(/\/+$/, '')}/v2/enqueue`;
  const body = JSON.stringify({
    routing_key: o.routingKey,
    event_action: 'trigger',
    dedup_key: e.dedupKey.slice(0, 255),
    payload: {
      summary: truncate(plainLine(e.summary, 1024), 1024),
      source: e.source,
      severity: e.severity,
      ...(e.component ? { component: e.component } : {}),
      ...(e.group ? { group: e.group } : {}),
      class: 'rune-escalation',
      custom_details: e.details,
    },
    client: 'RUNE',
    client_url: e.link,
    links: [{ href: e.link, text: 'RUNE job' }],
  });
  const out = await requestWithRetry(
    () => ({ method: 'POST', url, headers: { 'Content-Type': 'application/json' }, body }),
    { ...o, waitHeaders: ['retry-after'] },
  );
  const error = out.ok ? null : (out.error ?? 'not accepted').split(o.routingKey).join('[redacted]');
  return {
    reporter: 'pagerduty-events',
    ok: out.ok,
    status: out.status,
    attempts: out.attempts,
    target: e.dedupKey,
    error,
    at: now().toISOString(),
  };
}
