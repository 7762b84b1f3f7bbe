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
  /**
   * POST /api/v2/silences (docs/protocols.md §1.9): equality matchers for every label. Tried on each
   * URL in turn (`prefer` first) until one takes it; members gossip silences to each other. With
   * `id`, the silence is updated (AM keeps the id while it is active with the same matchers and start).
   */
  putSilence(s: SilenceRequest, prefer?: string): Promise<SilenceOutcome>;
  /** DELETE /api/v2/silence/{id}: expires it; tried on each URL in turn (`prefer` first). 404 counts as gone. */
  expireSilence(id: string, prefer?: string): Promise<{ ok: true; url: string } | { ok: false; error: string }>;
}

export interface SilenceRequest {
  id?: string;
  labels: Record<string, string>;
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

export type SilenceOutcome = { ok: true; id: string; url: string } | { ok: false; error: string };

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

  /** `prefer` first, then the others in their order. */
  const ordered = (prefer: string | undefined) =>
    prefer && urls.includes(prefer) ? [prefer, ...urls.filter((u) => u !== prefer)] : urls;

  async function send(
    method: 'POST' | 'DELETE',
    url: string,
    body?: unknown,
  ): Promise<{ status: number | null; text: string; error: string | null }> {
    try {
      const res = await doFetch(url, {
        method,
        headers: { Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: res.status, text: await res.text(), error: null };
    } catch (err) {
      return { status: null, text: '', error: plainLine((err as Error).message, 200) };
    }
  }

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
    async putSilence(sil, prefer) {
      const body = {
        ...(sil.id ? { id: sil.id } : {}),
        matchers: Object.entries(sil.labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
        startsAt: sil.startsAt,
        endsAt: sil.endsAt,
        createdBy: sil.createdBy,
        comment: sil.comment,
      };
      const errors: string[] = [];
      for (const base of ordered(prefer)) {
        const r = await send('POST', `${base}/api/v2/silences`, body);
        if (r.status === 200) {
          const id = (parse(r.text) as { silenceID?: unknown } | null)?.silenceID;
          if (typeof id === 'string' && id !== '') return { ok: true, id, url: base };
          errors.push(`${base}: no silenceID in the answer`);
        } else errors.push(`${base}: ${r.error ?? `HTTP ${r.status} ${plainLine(r.text, 200)}`}`);
      }
      return { ok: false, error: errors.join('; ') };
    },
    async expireSilence(id, prefer) {
      const errors: string[] = [];
      for (const base of ordered(prefer)) {
        const r = await send('DELETE', `${base}/api/v2/silence/${encodeURIComponent(id)}`);
        if (r.status === 200 || r.status === 404) return { ok: true, url: base };
        errors.push(`${base}: ${r.error ?? `HTTP ${r.status} ${plainLine(r.text, 200)}`}`);
      }
      return { ok: false, error: errors.join('; ') };
    },
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

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
