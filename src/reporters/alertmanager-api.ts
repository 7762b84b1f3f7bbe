import { plainLine } from './plain-line';

/**
 * Alertmanager's API v2 as RUNE uses it (docs/protocols.md §1.7): which alerts are active now
 * (verification, docs/rules.md). Several URLs are one HA pair or cluster: they gossip alerts
 * among themselves, so each is asked and an alert any of them holds as active is active.
 * Calls never throw: a member that did not answer is reported in `failed`.
 */
export interface AlertmanagerApi {
  /** The Alertmanager URLs, for messages. */
  urls: readonly string[];
  /**
   * GET /api/v2/alerts with one `filter` per label (`name="value"`), silenced, inhibited and
   * unprocessed alerts included: the alerts with these labels Alertmanager still holds as active
   * (resolved ones are not listed).
   */
  activeAlerts(labels: Record<string, string>, signal?: AbortSignal): Promise<ActiveAlerts>;
}

/** One alert of GET /api/v2/alerts (the fields RUNE reads). */
export interface ApiAlert {
  fingerprint: string;
  startsAt: string;
  labels: Record<string, string>;
  state: string;
}

export interface ActiveAlerts {
  /** The URLs that answered 200 with a list. */
  answered: string[];
  /** `url: reason` for each that did not. */
  failed: string[];
  /** Every alert any answering member listed (duplicates across members kept). */
  alerts: ApiAlert[];
}

export interface AlertmanagerApiOptions {
  urls: readonly string[];
  fetch?: typeof fetch;
  /** Per request. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** `name="value"` with the escapes of Alertmanager's matcher syntax (`\\`, `\"`, `\n`). */
export function equalityMatcher(name: string, value: string): string {
  return `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function createAlertmanagerApi(o: AlertmanagerApiOptions): AlertmanagerApi {
  const doFetch = o.fetch ?? fetch;
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const urls = o.urls.map((u) => u.replace(/\/+$/, ''));

  async function getJson(
    url: string,
    signal: AbortSignal | undefined,
  ): Promise<{ ok: true; body: unknown } | { ok: false; error: string }> {
    const bound = AbortSignal.timeout(timeoutMs);
    try {
      const headers = { Accept: 'application/json' };
      const res = await doFetch(url, { headers, signal: signal ? AbortSignal.any([bound, signal]) : bound });
      const text = await res.text();
      if (!res.ok) return { ok: false, error: `HTTP ${res.status} ${plainLine(text, 200)}` };
      return { ok: true, body: JSON.parse(text) as unknown };
    } catch (err) {
      return { ok: false, error: plainLine((err as Error).message, 200) };
    }
  }

  return {
    urls,
    async activeAlerts(labels, signal) {
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(labels)) query.append('filter', equalityMatcher(k, v));
      for (const k of ['active', 'silenced', 'inhibited', 'unprocessed']) query.set(k, 'true');
      const out: ActiveAlerts = { answered: [], failed: [], alerts: [] };
      await Promise.all(
        urls.map(async (base) => {
          const got = await getJson(`${base}/api/v2/alerts?${query.toString()}`, signal);
          if (!got.ok) return void out.failed.push(`${base}: ${got.error}`);
          if (!Array.isArray(got.body)) return void out.failed.push(`${base}: the answer is not a list`);
          out.answered.push(base);
          for (const a of got.body as Record<string, unknown>[]) {
            if (typeof a !== 'object' || a === null) continue;
            const status = a.status as { state?: unknown } | undefined;
            out.alerts.push({
              fingerprint: typeof a.fingerprint === 'string' ? a.fingerprint : '',
              startsAt: typeof a.startsAt === 'string' ? a.startsAt : '',
              labels: (typeof a.labels === 'object' && a.labels !== null ? a.labels : {}) as Record<string, string>,
              state: typeof status?.state === 'string' ? status.state : 'unknown',
            });
          }
        }),
      );
      return out;
    },
  };
}
