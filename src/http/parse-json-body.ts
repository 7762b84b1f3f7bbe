import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../util/json-depth';
import { RuneError } from '../core/errors';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The raw body (kept as bytes for signatures) as JSON: `application/json` only, valid UTF-8, one
 * JSON value. Every failure is a 4xx that says what is wrong.
 */
export function parseJsonBody(raw: unknown, contentType: string | undefined): unknown {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new RuneError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type must be application/json, got ${contentType ? JSON.stringify(contentType) : 'none'}`,
    );
  }
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw new RuneError('EMPTY_BODY', 'the request body is empty');
  let text: string;
  try {
    text = UTF8.decode(raw);
  } catch {
    throw new RuneError('INVALID_UTF8', 'the request body is not valid UTF-8');
  }
  if (exceedsJsonDepth(text)) {
    throw new RuneError(
      'INVALID_JSON',
      'the request body is not valid JSON: nested too deeply ' +
        `(more than ${MAX_JSON_DEPTH} levels of arrays and objects)`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // A RangeError here is nesting deep enough to exhaust the stack: still just bad input.
    const why = err instanceof RangeError ? 'nested too deeply' : (err as Error).message;
    throw new RuneError('INVALID_JSON', `the request body is not valid JSON: ${why}`);
  }
}
