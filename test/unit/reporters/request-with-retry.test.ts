import { describeFailure, requestWithRetry, urlSecrets } from '../../../src/reporters/request-with-retry';
import { recordingSleep, startFakeServer } from '../../helpers/fake-http-server';

test('a response whose headers come but whose body never ends times out too', async () => {
  const server = await startFakeServer(() => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: '{"partial":',
    neverEnds: true,
  }));
  try {
    const out = await requestWithRetry(() => ({ method: 'GET', url: `${server.url}/`, headers: {} }), {
      timeoutMs: 200,
      maxAttempts: 1,
    });
    expect(out).toMatchObject({ ok: false, status: null, attempts: 1, timedOut: true });
  } finally {
    await server.close();
  }
});

test('the request is rebuilt for every attempt; computed waits are capped by maxWaitMs', async () => {
  const rec = recordingSleep();
  const seen: number[] = [];
  const fakeFetch = (async () => new Response('', { status: 500 })) as typeof fetch;
  const out = await requestWithRetry(
    (attempt) => {
      seen.push(attempt);
      return { method: 'POST', url: 'http://x.invalid/', headers: {}, body: '' };
    },
    { fetch: fakeFetch, sleep: rec.sleep, random: () => 1, maxAttempts: 6, maxWaitMs: 3000 },
  );
  expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  expect(out).toMatchObject({ ok: false, status: 500, attempts: 6 });
  expect(rec.waits).toEqual([500, 1000, 2000, 3000, 3000]);
});

test('a huge error body is read only up to the cap', async () => {
  const big = 'x'.repeat(5 * 1024 * 1024);
  const fakeFetch = (async () => new Response(big, { status: 400 })) as typeof fetch;
  const out = await requestWithRetry(() => ({ method: 'GET', url: 'http://x.invalid/', headers: {} }), {
    fetch: fakeFetch,
  });
  expect(out.body.length).toBe(64 * 1024);
  expect(describeFailure('hook', out).length).toBeLessThan(300);
});

test('a network error message never carries the URL (Slack webhook URLs are secrets)', async () => {
  const url = 'https://hooks.slack.com/services/T0/B0/SECRETSECRETSECRET';
  const fakeFetch = (async () => {
    throw new TypeError(`Failed to parse URL from ${url}`);
  }) as typeof fetch;
  const out = await requestWithRetry(() => ({ method: 'POST', url, headers: {} }), {
    fetch: fakeFetch,
    maxAttempts: 2,
    sleep: recordingSleep().sleep,
  });
  expect(out).toMatchObject({ ok: false, status: null, attempts: 2 });
  expect(out.error).toBe('network error: Failed to parse URL from <url>');
  expect(urlSecrets(url)).toContain('SECRETSECRETSECRET');
});
