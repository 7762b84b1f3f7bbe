import { createAuthenticator } from '../../../src/auth/create-authenticator';
import { generateToken } from '../../../src/auth/generate-token';
import { hashToken } from '../../../src/auth/hash-token';
import { parseTokensFile } from '../../../src/auth/parse-tokens-file';

describe('createAuthenticator', () => {
  const a = generateToken();
  const b = generateToken();
  const { tokens } = parseTokensFile(
    `ada admin ${hashToken(a)}\nsam operator ${hashToken(b)} actions=echo nodes=web-*\n`,
    'f',
  );
  const authenticate = createAuthenticator(tokens);

  test('a known token becomes its Actor, with scopes', () => {
    expect(authenticate(a)).toEqual({ name: 'ada', role: 'admin', actions: null, nodes: null });
    expect(authenticate(b)).toEqual({ name: 'sam', role: 'operator', actions: ['echo'], nodes: ['web-*'] });
  });

  test('anything else is null: unknown, empty, a prefix, the hash itself', () => {
    for (const c of ['', 'rune_', a.slice(0, -1), `${a} `, hashToken(a), hashToken(a).slice(7)])
      expect(authenticate(c)).toBeNull();
    expect(createAuthenticator([])(a)).toBeNull();
  });

  test('tokens are rune_ + 32 random bytes in base64url, and differ', () => {
    expect(a).toMatch(/^rune_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(generateToken(() => Buffer.alloc(32, 0xff))).toBe(`rune_${'_'.repeat(42)}8`);
  });
});
