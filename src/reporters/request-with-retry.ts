/**
 * The one retry loop every reporter uses (PagerDuty REST, Slack, generic webhook).
 *
 * Rules (docs/protocols.md §3.2, §3.3, §5 item 4):
 * - any 2xx is success (PagerDuty documents 200 for a note; some mocks answer 201);
 * - 429 (and 503) wait what the server asks (`ratelimit-reset` / `Retry-After`, in seconds) when
 *   it says, capped by `maxWaitMs`, else exponential backoff;
 * - 5xx, 408, network errors and timeouts: exponential backoff with jitter;
 * - any other 4xx is permanent: retrying an invalid note or a bad token only burns the rate limit.
 */

import { plainLine } from './plain-line';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** Side effects and limits; every field has a real default. */
export interface RetryOptions {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); jitter source. */
  random?: () => number;
  /** Requests in all, first one included. */
  maxAttempts?: number;
  /** Cap for one wait, whether asked by the server or computed. */
  maxWaitMs?: number;
  /** Per request, response body included. */
  timeoutMs?: number;
  /** First backoff step; doubles per failed attempt. */
  baseDelayMs?: number;
}

export interface HttpOutcome {
  ok: boolean;
  /** Last HTTP status seen; null when no response ever came (network error, timeout). */
  status: number | null;
  attempts: number;
  /** Body of the last response (capped), '' when none. */
  body: string;
  /** Short, secret-free reason when !ok: `HTTP 400`, `no response within 10000 ms`, … */
  error: string | null;
  timedOut: boolean;
  /** Each wait taken between attempts, in ms (for logs and tests). */
  waitsMs: number[];
}

export const DEFAULT_RETRY = { maxAttempts: 5, maxWaitMs: 60_000, timeoutMs: 10_000, baseDelayMs: 500 } as const;

const BODY_CAP = 64 * 1024;

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends `makeRequest(attempt)` until it succeeds, fails permanently or runs out of attempts.
 * The request is rebuilt per attempt so that signed requests carry a fresh timestamp.
 * Never throws (unless `makeRequest` does): every failure is an outcome.
 */
export async function requestWithRetry(
  makeRequest: (attempt: number) => HttpRequest,
  opts: RetryOptions & { waitHeaders?: readonly string[] } = {},
): Promise<HttpOutcome> {
  const doFetch = opts.fetch ?? fetch;
  const sleep = opts.sleep ?? realSleep;
  const random = opts.random ?? Math.random;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? DEFAULT_RETRY.maxAttempts);
  const maxWaitMs = opts.maxWaitMs ?? DEFAULT_RETRY.maxWaitMs;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_RETRY.timeoutMs;
  const baseDelayMs = opts.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const waitHeaders = opts.waitHeaders ?? ['retry-after'];

  const waitsMs: number[] = [];
  let attempts = 0;
  let last: Omit<HttpOutcome, 'attempts' | 'waitsMs'> = {
    ok: false,
    status: null,
    body: '',
    error: 'not sent',
    timedOut: false,
  };

  while (attempts < maxAttempts) {
    attempts++;
    const req = makeRequest(attempts);
    let retryable: boolean;
    let askedWaitMs: number | null = null;
    try {
      const init: RequestInit = { method: req.method, headers: req.headers, signal: AbortSignal.timeout(timeoutMs) };
      if (req.body !== undefined) init.body = req.body;
      const res = await doFetch(req.url, init);
      const body = await readCapped(res, BODY_CAP);
      if (res.status >= 200 && res.status < 300) {
        return { ok: true, status: res.status, attempts, body, error: null, timedOut: false, waitsMs };
      }
      last = { ok: false, status: res.status, body, error: `HTTP ${res.status}`, timedOut: false };
      retryable = res.status === 429 || res.status === 408 || res.status >= 500;
      if (res.status === 429 || res.status === 503) askedWaitMs = askedWait(res.headers, waitHeaders);
    } catch (err) {
      const timedOut = isTimeout(err);
      last = {
        ok: false,
        status: null,
        body: '',
        error: timedOut ? `no response within ${timeoutMs} ms` : networkReason(err, req.url),
        timedOut,
      };
      retryable = true;
    }
    if (!retryable || attempts === maxAttempts) break;
    const backoff = baseDelayMs * 2 ** (attempts - 1);
    // Equal jitter: half fixed, half random, so many reporters failing together spread out.
    const wait = Math.min(maxWaitMs, askedWaitMs ?? backoff / 2 + random() * (backoff / 2));
    waitsMs.push(wait);
    await sleep(wait);
  }
  return { ...last, attempts, waitsMs };
}

/** Seconds from the first of `names` present as a non-negative number; null otherwise (then: backoff). */
function askedWait(headers: Headers, names: readonly string[]): number | null {
  for (const name of names) {
    const raw = headers.get(name);
    if (raw === null || raw.trim() === '') continue;
    const seconds = Number(raw.trim());
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  }
  return null;
}

/** Reads at most `cap` bytes of the body and drops the rest (a hostile server cannot fill memory). */
async function readCapped(res: Response, cap: number): Promise<string> {
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= cap) {
      await reader.cancel().catch(() => {});
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, cap).toString('utf8');
}

// Duck-typed, not instanceof: fetch's errors may come from another realm (test VMs, undici copies).
function field(v: unknown, key: string): unknown {
  return typeof v === 'object' && v !== null && key in v ? (v as Record<string, unknown>)[key] : undefined;
}

function isTimeout(err: unknown): boolean {
  const name = field(err, 'name');
  return name === 'TimeoutError' || name === 'AbortError';
}

/**
 * undici says only "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND, …) is in `cause`.
 * The URL is cut out of any message: a Slack webhook URL is itself a secret.
 */
function networkReason(err: unknown, url: string): string {
  const code = field(field(err, 'cause'), 'code');
  if (typeof code === 'string') return `network error: ${code}`;
  const message = field(err, 'message');
  const text = typeof message === 'string' ? message : String(err);
  return `network error: ${text.split(url).join('<url>')}`;
}

/**
 * One line for a failed outcome: `Slack: HTTP 404: channel_not_found after 1 attempt`.
 * The response body is shown cut and on one line; `secrets` are cut out of everything.
 */
export function describeFailure(what: string, out: HttpOutcome, secrets: readonly string[] = []): string {
  const redact = (t: string): string =>
    secrets.reduce((acc, s) => (s === '' ? acc : acc.split(s).join('[redacted]')), t);
  let text = out.status === null ? `${what}: ${redact(out.error ?? 'failed')}` : `${what}: HTTP ${out.status}`;
  // Redact before cutting, so a cut cannot leave half a secret behind.
  const body = plainLine(redact(out.body), 200);
  if (out.status !== null && body !== '') text += `: ${body}`;
  return `${text} after ${out.attempts} attempt${out.attempts === 1 ? '' : 's'}`;
}

/** scheme://host[:port] of a URL, for Delivery.target: webhook paths and queries hold secrets. */
export function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * The parts of a webhook URL a response might echo and that must not reach a Delivery: the URL,
 * its path and query, and every token-like (16+ characters) path segment or query value.
 */
export function urlSecrets(url: string): string[] {
  try {
    const u = new URL(url);
    const parts = [...u.pathname.split('/'), ...Array.from(u.searchParams.values())].filter((p) => p.length >= 16);
    return [url, `${u.pathname}${u.search}`, ...parts].filter((p) => p !== '/');
  } catch {
    return [url];
  }
}
