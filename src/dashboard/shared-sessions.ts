import { createHash } from 'node:crypto';
import type { Actor } from '../auth/actor';
import { tokenHash } from '../auth/create-authenticator';
import type { SessionRecord, Store } from '../store/store';
import { DEFAULT_SESSION_LIMITS, randomToken, type Session, type SessionLimits, type Sessions } from './sessions';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * Dashboard sessions kept in the store, for replicas sharing PostgreSQL (docs/deployment.md, High
 * availability): a browser signed in on one replica is signed in on all. The same limits as the
 * in-memory sessions (sessions.ts). The store holds the session id and the token only as SHA-256
 * hashes. A flash message set on one request is saved at once, for the next page, wherever it is served.
 */
export function createSharedSessions(
  store: Store,
  now: () => number,
  limits: SessionLimits = DEFAULT_SESSION_LIMITS,
): Sessions {
  const perToken = Math.max(1, limits.maxPerToken ?? 10);
  const maxSessions = Math.max(1, limits.maxSessions);
  const expired = (r: SessionRecord, t: number) =>
    t - r.lastSeenMs >= limits.idleMs || t - r.createdMs >= limits.absoluteMs;
  /** The session object handed to the pages: its flash is written through to the store. */
  const live = (id: string, r: SessionRecord): Session => {
    let flash = r.flash;
    const s = {
      id,
      csrf: r.csrf,
      actor: r.actor as Actor,
      tokenHash: r.tokenHash,
      createdAt: r.createdMs,
      lastSeenAt: r.lastSeenMs,
    } as Session;
    Object.defineProperty(s, 'flash', {
      enumerable: true,
      get: () => flash,
      set(v: string | null) {
        if (v === flash) return;
        flash = v;
        store.saveSession({ ...r, actor: s.actor, lastSeenMs: s.lastSeenAt, flash: v });
      },
    });
    return s;
  };
  return {
    create(actor, credential) {
      const t = now();
      store.pruneSessions(t - limits.idleMs, t - limits.absoluteMs);
      const token = credential === null ? null : tokenHash(credential);
      if (token !== null) {
        const own = store.listSessions(token);
        for (const old of own.slice(0, Math.max(0, own.length - perToken + 1))) store.dropSession(old.idHash);
      }
      const all = store.listSessions();
      for (const old of all.slice(0, Math.max(0, all.length - maxSessions + 1))) store.dropSession(old.idHash);
      const id = randomToken();
      const record: SessionRecord = {
        idHash: sha256(id),
        csrf: randomToken(),
        actor,
        tokenHash: token,
        createdMs: t,
        lastSeenMs: t,
        flash: null,
      };
      store.saveSession(record);
      return live(id, record);
    },
    get(id) {
      const r = store.findSession(sha256(id));
      if (!r) return null;
      const t = now();
      if (expired(r, t)) {
        store.dropSession(r.idHash);
        return null;
      }
      const used = { ...r, lastSeenMs: t };
      store.saveSession(used);
      return live(id, used);
    },
    destroy: (id) => store.dropSession(sha256(id)),
    size: () => store.listSessions().length,
  };
}
