import { RuneError } from '../../../src/core/errors';
import { httpErrorView } from '../../../src/http/http-error-view';

test('a RuneError answers with its catalogue status and its own words', () => {
  expect(httpErrorView(new RuneError('PAUSED', 'paused since …', { paused: {} }))).toEqual({
    status: 409,
    code: 'PAUSED',
    message: 'paused since …',
    details: { paused: {} },
  });
  expect(httpErrorView(new RuneError('UNKNOWN_NODE', 'no node x')).status).toBe(400);
});

test('SQLite that cannot write is 503 STORE_UNAVAILABLE (senders retry); a body over the limit is 413', () => {
  const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
  expect(httpErrorView(full)).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' });
  const big = Object.assign(new Error('request entity too large'), { type: 'entity.too.large', limit: 2097152 });
  expect(httpErrorView(big)).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' });
});

test('any other fault is 500 INTERNAL and its message stays in the log, not in the answer', () => {
  const view = httpErrorView(new TypeError('cannot read properties of undefined (reading "secret")'));
  expect(view).toEqual({ status: 500, code: 'INTERNAL', message: 'internal error; see the server log', details: {} });
});
