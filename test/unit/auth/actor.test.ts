import { allows, type Actor } from '../../../src/auth/actor';

const actor = (role: Actor['role'], actions: string[] | null = null, nodes: string[] | null = null): Actor => ({
  name: 't',
  role,
  actions,
  nodes,
});

describe('allows', () => {
  test('roles are ordered viewer < operator < admin', () => {
    expect(allows(actor('viewer'), 'read')).toBe(true);
    expect(allows(actor('viewer'), 'run', { action: 'noop', node: 'a' })).toBe(false);
    expect(allows(actor('operator'), 'run', { action: 'noop', node: 'a' })).toBe(true);
    expect(allows(actor('operator'), 'admin')).toBe(false);
    expect(allows(actor('admin'), 'admin')).toBe(true);
    expect(allows(actor('admin'), 'run', { action: 'restart-docker', node: 'db-1' })).toBe(true);
  });

  test("an operator's action and node lists narrow what it may run", () => {
    const op = actor('operator', ['gather-logs'], ['web-*', 'cache-?']);
    expect(allows(op, 'run', { action: 'gather-logs', node: 'web-12' })).toBe(true);
    expect(allows(op, 'run', { action: 'gather-logs', node: 'cache-1' })).toBe(true);
    expect(allows(op, 'run', { action: 'gather-logs', node: 'cache-10' })).toBe(false);
    expect(allows(op, 'run', { action: 'restart-docker', node: 'web-12' })).toBe(false);
    expect(allows(op, 'run', { action: 'gather-logs', node: 'db-1' })).toBe(false);
    // A node glob never crosses a dot (DNS wildcard): web-* is not web-1.evil.example.
    expect(allows(op, 'run', { action: 'gather-logs', node: 'web-1.evil.example' })).toBe(false);
    expect(
      allows(actor('operator', null, ['*.prod.example']), 'run', { action: 'noop', node: 'db.prod.example' }),
    ).toBe(true);
    // Globs are globs, not regexes.
    expect(allows(actor('operator', null, ['web.1']), 'run', { action: 'noop', node: 'webx1' })).toBe(false);
  });
});
