import type { IncidentRef } from '../core/types';
import { plainLine } from './plain-line';
import { requestWithRetry, type HttpOutcome, type HttpRequest, type RetryOptions } from './request-with-retry';

/** The `{"error":{message, code, errors}}` body of a failed PagerDuty REST call (docs/protocols.md §3.2). */
export interface PagerDutyApiError {
  message: string | null;
  code: number | null;
  errors: string[];
}

/** What every client call resolves to; calls never throw. `error` never holds the token. */
export type PagerDutyOutcome<T> =
  | { ok: true; status: number; attempts: number; value: T }
  | {
      ok: false;
      status: number | null;
      attempts: number;
      error: string;
      pdError: PagerDutyApiError | null;
      timedOut: boolean;
    };

export interface PagerDutyClient {
  /** POST /incidents/{id}/notes (docs/protocols.md §3.1). */
  createNote(incidentId: string, content: string): Promise<PagerDutyOutcome<{ noteId: string | null }>>;
  /** The first open (triggered or acknowledged) incident whose incident_key is `incidentKey`, or null. */
  findIncidentByKey(incidentKey: string): Promise<PagerDutyOutcome<IncidentRef | null>>;
  /** GET /incidents/{id}/alerts, parsed JSON, first page only (docs/protocols.md §2.7). */
  listIncidentAlerts(incidentId: string): Promise<PagerDutyOutcome<unknown>>;
}

export interface PagerDutyClientOptions extends RetryOptions {
  /** Default https://api.pagerduty.com (RUNE_PAGERDUTY_API_URL); a trailing slash is fine. */
  baseUrl?: string;
  /** REST API key (RUNE_PAGERDUTY_TOKEN). Sent only in the Authorization header. */
  token: string;
  /** Email of a valid PagerDuty user: the bot the notes appear from. */
  from: string;
}

export const DEFAULT_PAGERDUTY_API_URL = 'https://api.pagerduty.com';

export function createPagerDutyClient(opts: PagerDutyClientOptions): PagerDutyClient {
  const base = (opts.baseUrl ?? DEFAULT_PAGERDUTY_API_URL).replace(/\/+$/, '');
  // §3.3: on 429 PagerDuty says when the window resets in `ratelimit-reset` (seconds).
  const retry = { ...opts, waitHeaders: ['ratelimit-reset', 'retry-after'] };
  const redact = (text: string): string => (opts.token === '' ? text : text.split(opts.token).join('[redacted]'));

  // §3.1: exact header values; PagerDuty answers 401 to any other Authorization format. `From` is
  // required for notes only, harmless elsewhere, so every call sends the same set.
  const headers = (withBody: boolean): Record<string, string> => ({
    Authorization: `Token token=${opts.token}`,
    Accept: 'application/vnd.pagerduty+json;version=2',
    From: opts.from,
    ...(withBody ? { 'Content-Type': 'application/json' } : {}),
  });

  async function call<T>(
    what: string,
    req: HttpRequest,
    parse: (json: unknown) => T | undefined,
  ): Promise<PagerDutyOutcome<T>> {
    const out = await requestWithRetry(() => req, retry);
    if (!out.ok) return failure(what, out, redact);
    const json = parseJson(out.body);
    const value = parse(json);
    if (value === undefined) {
      return {
        ok: false,
        status: out.status,
        attempts: out.attempts,
        error: `PagerDuty ${what}: unexpected response body`,
        pdError: null,
        timedOut: false,
      };
    }
    return { ok: true, status: out.status as number, attempts: out.attempts, value };
  }

  return {
    async createNote(incidentId, content) {
      const seg = pathSegment(incidentId);
      if (seg === null) return badId('create note', incidentId);
      const req = {
        method: 'POST',
        url: `${base}/incidents/${seg}/notes`,
        headers: headers(true),
        body: JSON.stringify({ note: { content } }),
      } as const;
      // Any 2xx means the note exists, even if the body is not what the OpenAPI example shows.
      return call('create note', req, (json) => ({ noteId: stringAt(json, 'note', 'id') }));
    },

    async findIncidentByKey(incidentKey) {
      const query = `incident_key=${encodeURIComponent(incidentKey)}&statuses[]=triggered&statuses[]=acknowledged`;
      const req = { method: 'GET', url: `${base}/incidents?${query}`, headers: headers(false) } as const;
      return call('find incident', req, (json): IncidentRef | null | undefined => {
        const incidents = isObject(json) ? json['incidents'] : undefined;
        if (!Array.isArray(incidents)) return undefined;
        const first: unknown = incidents[0];
        if (!isObject(first) || typeof first['id'] !== 'string') return null;
        const ref: IncidentRef = { provider: 'pagerduty', id: first['id'] };
        if (typeof first['html_url'] === 'string') ref.url = first['html_url'];
        return ref;
      });
    },

    async listIncidentAlerts(incidentId) {
      const seg = pathSegment(incidentId);
      if (seg === null) return badId('list alerts', incidentId);
      const req = { method: 'GET', url: `${base}/incidents/${seg}/alerts`, headers: headers(false) } as const;
      return call('list alerts', req, (json) => (isObject(json) ? json : undefined));
    },
  };
}

/**
 * An id as one path segment. Encoding keeps `../x` inside the segment; `.` and `..` are refused
 * because URL parsers resolve them (even percent-encoded) before the request leaves.
 */
function pathSegment(id: string): string | null {
  if (id === '' || id === '.' || id === '..') return null;
  return encodeURIComponent(id);
}

function badId<T>(what: string, id: string): PagerDutyOutcome<T> {
  return {
    ok: false,
    status: null,
    attempts: 0,
    error: `PagerDuty ${what}: invalid incident id ${JSON.stringify(plainLine(id, 64))}`,
    pdError: null,
    timedOut: false,
  };
}

function failure<T>(what: string, out: HttpOutcome, redact: (s: string) => string): PagerDutyOutcome<T> {
  const pdError = parseApiError(out.body, redact);
  let error =
    out.status === null ? `PagerDuty ${what}: ${out.error ?? 'failed'}` : `PagerDuty ${what}: HTTP ${out.status}`;
  if (pdError !== null) {
    const parts = [pdError.message, pdError.code === null ? null : `(code ${pdError.code})`].filter((p) => p !== null);
    if (parts.length > 0) error += `: ${parts.join(' ')}`;
    if (pdError.errors.length > 0) error += `: ${pdError.errors.join('; ')}`;
  }
  error += ` after ${out.attempts} attempt${out.attempts === 1 ? '' : 's'}`;
  return {
    ok: false,
    status: out.status,
    attempts: out.attempts,
    error: plainLine(redact(error), 1000),
    pdError,
    timedOut: out.timedOut,
  };
}

/** §3.2 error body; null when the body is not one (§3.3: a 429 may come without a body). */
function parseApiError(body: string, redact: (s: string) => string): PagerDutyApiError | null {
  const json = parseJson(body);
  const err = isObject(json) ? json['error'] : undefined;
  if (!isObject(err)) return null;
  const clean = (s: string): string => plainLine(redact(s), 300);
  const message = typeof err['message'] === 'string' ? clean(err['message']) : null;
  const code = typeof err['code'] === 'number' ? err['code'] : null;
  const list = Array.isArray(err['errors']) ? err['errors'] : [];
  const errors = list
    .filter((e): e is string => typeof e === 'string')
    .slice(0, 5)
    .map(clean);
  return { message, code, errors };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringAt(json: unknown, ...path: string[]): string | null {
  let cur: unknown = json;
  for (const key of path) cur = isObject(cur) ? cur[key] : undefined;
  return typeof cur === 'string' ? cur : null;
}
