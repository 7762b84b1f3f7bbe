import { isLoopbackHost } from '../../../src/http/loopback-host-only';

describe('isLoopbackHost (--insecure-no-auth answers only these)', () => {
  test.each([
    'localhost',
    'localhost:8080',
    'LOCALHOST:8080',
    '127.0.0.1',
    '127.0.0.1:9000',
    '127.255.0.9:1',
    '127.1:8080', // the browser writes 127.0.0.1
    '[::1]',
    '[::1]:8080',
    '[0:0:0:0:0:0:0:1]:8080',
  ])('%s is loopback', (host) => expect(isLoopbackHost(host)).toBe(true));

  test.each([
    undefined,
    '',
    'evil.example',
    'evil.example:8080',
    'localhost.evil.example',
    'localhost.',
    'mylocalhost',
    '127.0.0.1.evil.example',
    '128.0.0.1',
    '10.0.0.5:8080',
    '0.0.0.0',
    '[::]',
    '[::ffff:127.0.0.1]',
    'localhost@evil.example',
    'localhost/evil',
    'localhost:80:80',
    'localhost evil',
  ])('%s is not', (host) => expect(isLoopbackHost(host)).toBe(false));
});
