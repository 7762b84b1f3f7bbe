/**
 * Dashboard sessions, the same tests on both kinds: in memory (one RUNE), and kept in the store
 * (replicas sharing PostgreSQL; here over a SQLite store, which implements the same contract).
 */
import type { Actor } from '../../../src/auth/actor';
import { createSessions, type SessionLimits, type Sessions } from '../../../src/dashboard/sessions';
import { createSharedSessions } from '../../../src/dashboard/shared-sessions';
import { openSqliteStore } from '../../../src/store/sqlite-store';
import type { Store } from '../../../src/store/store';

const vera: Actor = { name: 'vera', role: 'viewer', actions: null, nodes: null };

const stores: Store[] = [];
afterEach(() => stores.splice(0).forEach((s) => s.close()));

type Make = (now: () => number, limits?: SessionLimits) => Sessions;
const KINDS: [string, Make][] = [
  ['in memory', createSessions],
  [
    'in the store',
    (now, limits) => {
      const store = openSqliteStore(':memory:');
      stores.push(store);
      return createSharedSessions(store, now, limits);
    },
  ],
];

describe.each(KINDS)('dashboard sessions, %s', (_kind, createSessions) => {
  test('ids and CSRF tokens are random, 256 bits, and differ', () => {
    const sessions = createSessions(() => 0);
    const a = sessions.create(vera, 'vera-token');
    const b = sessions.create(vera, 'vera-token');
    expect(a.id).toMatch(/^[\w-]{43}$/);
    expect(new Set([a.id, b.id, a.csrf, b.csrf]).size).toBe(4);
  });

  test('a session unused for the idle time is gone; use keeps it alive', () => {
    let t = 0;
    const sessions = createSessions(() => t, { maxSessions: 10, idleMs: 1000, absoluteMs: 10_000 });
    const kept = sessions.create(vera, 'vera-token');
    const idle = sessions.create(vera, 'vera-token');
    t = 900;
    expect(sessions.get(kept.id)).not.toBeNull();
    t = 1800;
    expect(sessions.get(kept.id)).not.toBeNull(); // 900 ms since its last use
    expect(sessions.get(idle.id)).toBeNull(); // 1800 ms unused
  });

  test('however active, a session ends at the absolute limit', () => {
    let t = 0;
    const sessions = createSessions(() => t, { maxSessions: 10, idleMs: 1000, absoluteMs: 3000 });
    const s = sessions.create(vera, 'vera-token');
    for (t = 500; t < 3000; t += 500) expect(sessions.get(s.id)).not.toBeNull();
    t = 3000;
    expect(sessions.get(s.id)).toBeNull();
  });

  test('the count is bounded: the least recently used session goes first', () => {
    let t = 0;
    const sessions = createSessions(() => t, { maxSessions: 3, idleMs: 60_000, absoluteMs: 60_000 });
    const a = sessions.create(vera, 'vera-token');
    t = 1;
    const b = sessions.create(vera, 'vera-token');
    t = 2;
    const c = sessions.create(vera, 'vera-token');
    t = 10;
    sessions.get(a.id); // a is now more recent than b
    const d = sessions.create(vera, 'vera-token');
    expect(sessions.size()).toBe(3);
    expect(sessions.get(b.id)).toBeNull();
    expect([a, c, d].every((x) => sessions.get(x.id) !== null)).toBe(true);
  });

  test('one token may hold maxPerToken sessions: its own oldest goes, nobody else is signed out', () => {
    let t = 0;
    const sessions = createSessions(() => t, { maxSessions: 5, maxPerToken: 2, idleMs: 60_000, absoluteMs: 60_000 });
    const ada = sessions.create({ ...vera, name: 'ada', role: 'admin' }, 'ada-token');
    const anonymous = sessions.create({ ...vera, name: 'anonymous' }, null);
    const veras: string[] = [];
    for (let i = 0; i < 1000; i++) {
      t++;
      veras.push(sessions.create(vera, 'vera-token').id);
    }
    expect(sessions.size()).toBe(4);
    expect(sessions.get(ada.id)).not.toBeNull();
    expect(sessions.get(anonymous.id)).not.toBeNull();
    expect(veras.map((id) => sessions.get(id) !== null).filter(Boolean)).toHaveLength(2);
    expect(sessions.get(veras[999] as string)).not.toBeNull();
    // Use keeps one alive: the other goes first.
    t++;
    sessions.get(veras[998] as string);
    t++;
    const next = sessions.create(vera, 'vera-token');
    expect([veras[998], veras[999], next.id].map((id) => sessions.get(id as string) !== null)).toEqual([
      true,
      false,
      true,
    ]);
  });

  test('destroy signs out', () => {
    const sessions = createSessions(() => 0);
    const s = sessions.create(vera, 'vera-token');
    sessions.destroy(s.id);
    expect(sessions.get(s.id)).toBeNull();
  });
});

test('in the store: neither id nor token is stored; a flash set on one replica shows on another', () => {
  const store = openSqliteStore(':memory:');
  stores.push(store);
  const [one, two] = [createSharedSessions(store, () => 5), createSharedSessions(store, () => 6)];
  const s = one.create(vera, 'vera-token-secret');
  expect(JSON.stringify(store.listSessions())).not.toContain(s.id);
  expect(JSON.stringify(store.findSession(store.listSessions()[0]!.idHash))).not.toContain('vera-token-secret');
  s.flash = 'Job 1 cancelled.';
  const seen = two.get(s.id);
  expect(seen).toMatchObject({ csrf: s.csrf, actor: vera, flash: 'Job 1 cancelled.' });
  seen!.flash = null;
  expect(one.get(s.id)!.flash).toBeNull();
});
