import { ERROR_CATALOGUE, RuneError, toResultError, type ErrorCode } from '../../../src/core/errors';

const entries = Object.entries(ERROR_CATALOGUE) as [ErrorCode, (typeof ERROR_CATALOGUE)[ErrorCode]][];

test('every code is UPPER_SNAKE with an HTTP error status and one line of text', () => {
  for (const [code, e] of entries) {
    expect([code, /^[A-Z][A-Z0-9_]+$/.test(code)]).toEqual([code, true]);
    expect([code, e.http >= 400 && e.http <= 599]).toEqual([code, true]);
    expect([code, e.text.length > 10 && !e.text.includes('\n')]).toEqual([code, true]);
  }
});

test('the HTTP edge codes are client errors, and a refused request is a usage error for the CLI (exit 2)', () => {
  for (const [code, e] of entries.filter(([, e]) => e.stage === 'request')) {
    expect([code, e.http < 500, e.exit]).toEqual([code, true, 2]);
  }
  for (const [code, e] of entries.filter(([, e]) => e.stage === 'validate')) expect([code, e.exit]).toEqual([code, 2]);
});

test('a 503 is retryable: it means nothing was accepted and the sender should try again', () => {
  for (const [code, e] of entries.filter(([, e]) => e.http === 503)) expect([code, e.retryable]).toEqual([code, true]);
});

test("a RuneError takes its stage and retryable from the catalogue; a Result's error carries the trace", () => {
  const err = new RuneError('HOST_KEY_MISMATCH', 'host key of web-1 does not match', { node: 'web-1' });
  expect([err.code, err.stage, err.retryable]).toEqual(['HOST_KEY_MISMATCH', 'transport', false]);
  expect(toResultError(err, 'trace-1')).toEqual({
    code: 'HOST_KEY_MISMATCH',
    message: 'host key of web-1 does not match',
    stage: 'transport',
    retryable: false,
    trace_id: 'trace-1',
    details: { node: 'web-1' },
  });
});
