import { RuneError } from '../core/errors';
import type { ServerTarget } from '../settings/read-settings';

/**
 * One call to a running `rune serve` (the CLI commands that act on the service: pause, resume,
 * breaker close, guards, jobs). Returns the HTTP status and the parsed JSON body; an unreachable
 * server is SERVER_UNREACHABLE (exit 3, like an unreachable node) naming the URL.
 */
export async function callServer(
  target: ServerTarget,
  method: 'GET' | 'POST',
  path: string,
  body: Record<string, unknown> | undefined,
  doFetch: typeof fetch = fetch,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await doFetch(`${target.url}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new RuneError(
      'SERVER_UNREACHABLE',
      `cannot reach RUNE at ${target.url} (${cause}); is \`rune serve\` running there? (--server or RUNE_PUBLIC_URL)`,
      { url: target.url },
    );
  }
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { error: { message: text.slice(0, 300) } };
  }
  return { status: res.status, body: parsed };
}
