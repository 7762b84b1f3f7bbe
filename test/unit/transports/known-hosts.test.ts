import { createHmac, randomBytes } from 'node:crypto';
import {
  hostKeyAlgorithmsFor,
  hostMatches,
  knownHostsName,
  parseKnownHosts,
  verifyHostKey,
} from '../../../src/transports/known-hosts';

function blob(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from(body)]);
}
const keyA = blob('ssh-ed25519', 'A'.repeat(32));
const keyB = blob('ssh-ed25519', 'B'.repeat(32));

test('host names follow OpenSSH: plain on port 22, [host]:port otherwise', () => {
  expect(knownHostsName('web-1', 22)).toBe('web-1');
  expect(knownHostsName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
});

test('patterns: lists, wildcards and negation (negation wins)', () => {
  expect(hostMatches('web-1,web-2', 'web-2')).toBe(true);
  expect(hostMatches('*.example.com,!bad.example.com', 'a.example.com')).toBe(true);
  expect(hostMatches('*.example.com,!bad.example.com', 'bad.example.com')).toBe(false);
  expect(hostMatches('web-?', 'web-10')).toBe(false);
});

test('hashed entries (|1|salt|hash) match only their host', () => {
  const salt = randomBytes(20);
  const hash = createHmac('sha1', salt).update('[127.0.0.1]:2222').digest('base64');
  const pattern = `|1|${salt.toString('base64')}|${hash}`;
  expect(hostMatches(pattern, '[127.0.0.1]:2222')).toBe(true);
  expect(hostMatches(pattern, '[127.0.0.1]:2223')).toBe(false);
});

test('verdicts: ok, unknown, mismatch, revoked; comments and junk lines skipped', () => {
  const entries = parseKnownHosts(
    [
      `# comment`,
      `web-1 ssh-ed25519 ${keyA.toString('base64')}`,
      'garbage',
      `@revoked * ssh-ed25519 ${keyB.toString('base64')}`,
      `@cert-authority * ssh-ed25519 ${keyA.toString('base64')}`,
    ].join('\n'),
  );
  expect(entries).toHaveLength(3);
  expect(verifyHostKey(entries, 'web-1', 22, keyA)).toEqual({ ok: true });
  expect(verifyHostKey(entries, 'web-2', 22, keyA)).toMatchObject({
    ok: false,
    reason: 'unknown',
    offeredType: 'ssh-ed25519',
  });
  expect(verifyHostKey(entries, 'web-1', 22, blob('ssh-ed25519', 'C'.repeat(32)))).toMatchObject({
    ok: false,
    reason: 'mismatch',
    knownTypes: ['ssh-ed25519'],
  });
  expect(verifyHostKey(entries, 'web-1', 22, keyB)).toMatchObject({ ok: false, reason: 'revoked' });
});

test('an RSA entry asks the server for RSA signature algorithms', () => {
  expect(hostKeyAlgorithmsFor(['ssh-rsa', 'ssh-ed25519'])).toEqual([
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
    'ssh-ed25519',
  ]);
});
