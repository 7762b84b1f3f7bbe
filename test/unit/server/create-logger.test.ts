import { PassThrough } from 'node:stream';
import { createLogger } from '../../../src/server/create-logger';
import { redactsValues } from '../../../src/core/logger';

function capture() {
  const stream = new PassThrough();
  const out: string[] = [];
  stream.on('data', (c: Buffer) => out.push(...c.toString('utf8').split('\n').filter(Boolean)));
  return { stream, out };
}

test('fields that can carry credentials are censored by name', async () => {
  const { stream, out } = capture();
  const log = createLogger(stream);
  log.warn(
    {
      headers: { authorization: 'Bearer abc123' },
      token: 't0ken-value',
      nested: { secret: 's3cret-value', password: 'pw-value' },
    },
    'hello',
  );
  await new Promise((r) => setImmediate(r));
  const line = JSON.parse(out[0] as string);
  expect(line).toMatchObject({
    level: 40,
    msg: 'hello',
    service: 'rune',
    headers: { authorization: '[redacted]' },
    token: '[redacted]',
    nested: { secret: '[redacted]', password: '[redacted]' },
  });
});

test('a configured secret is blanked wherever it appears: message, any field, an error, JSON-escaped', async () => {
  const { stream, out } = capture();
  const log = createLogger(stream);
  expect(redactsValues(log)).toBe(true);
  expect(redactsValues({ info: () => undefined, warn: () => undefined, error: () => undefined })).toBe(false);
  const url = 'https://hooks.slack.example/services/T0/B0/XyZsecretPath';
  const quoted = 'sec"ret\\with-quotes';
  log.redactValues([url, 'XyZsecretPath', quoted, 'abc']);
  log.error({ err: new Error(`POST ${url} failed`), detail: { where: `at ${url}?x=1` } }, `cannot post to ${url}`);
  log.info({ value: quoted }, 'quoted');
  log.info({ word: 'abc' }, 'short values are left alone: abc');
  await new Promise((r) => setImmediate(r));
  const all = out.join('\n');
  expect(all).not.toContain('XyZsecretPath');
  expect(all).not.toContain(JSON.stringify(quoted).slice(1, -1));
  expect(JSON.parse(out[0] as string)).toMatchObject({
    msg: 'cannot post to [redacted]',
    detail: { where: 'at [redacted]?x=1' },
    err: { message: 'POST [redacted] failed' },
  });
  expect(JSON.parse(out[1] as string).value).toBe('[redacted]');
  expect(JSON.parse(out[2] as string)).toMatchObject({ word: 'abc', msg: 'short values are left alone: abc' });
});
