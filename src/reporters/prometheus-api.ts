import { plainLine } from './plain-line';

/** The answer to one instant query: how many series it returned, or why there is no answer. */
export type QueryOutcome = { ok: true; series: number } | { ok: false; error: string };

/**
 * GET /api/v1/query (Prometheus HTTP API, docs/protocols.md §1.8): `verify.query` is a condition
 * that holds while the problem lasts, so an empty result means resolved. Never throws.
 */
export async function instantQuery(
  baseUrl: string,
  query: string,
  o: { fetch?: typeof fetch; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<QueryOutcome> {
  const url = `${baseUrl.replace(/\/+$/, '')}/api/v1/query?${new URLSearchParams({ query }).toString()}`;
  try {
    const bound = AbortSignal.timeout(o.timeoutMs ?? 5000);
    const signal = o.signal ? AbortSignal.any([bound, o.signal]) : bound;
    const res = await (o.fetch ?? fetch)(url, { signal });
    const text = await res.text();
    type Body = { status?: unknown; error?: unknown; data?: { result?: unknown } } | null;
    const body = parseJson(text) as Body;
    if (!res.ok || body?.status !== 'success') {
      const why = typeof body?.error === 'string' ? body.error : text;
      return { ok: false, error: `HTTP ${res.status} ${plainLine(why, 200)}` };
    }
    const result = body.data?.result;
    // A vector or matrix is a list of series; a scalar or string ([time, value]) counts as one.
    return { ok: true, series: Array.isArray(result) ? (isSample(result) ? 1 : result.length) : 0 };
  } catch (err) {
    return { ok: false, error: plainLine((err as Error).message, 200) };
  }
}

const isSample = (r: unknown[]): boolean => r.length === 2 && typeof r[0] === 'number';

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
