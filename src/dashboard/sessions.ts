import { randomBytes } from 'node:crypto';
import type { Actor } from '../auth/actor';
import { tokenHash } from '../auth/create-authenticator';

/** One signed-in browser: who, its CSRF token, and when it was made and last used. */
export interface Session {
  id: string;
  /** Every form carries it; a POST without it, or with another, is refused. */
  csrf: string;
  /** Who the token is now: refreshed from the tokens file on every request (dashboard-kit.ts). */
  actor: Actor;
  /**
   * The SHA-256 (hex) of the API token signed in with, to check on each request that the token is
   * still in the tokens file (the token itself is not kept); null for `--insecure-no-auth`.
   */
  tokenHash: string | null;
  createdAt: number;
  lastSeenAt: number;
  /** One message shown on the next page (e.g. "cancel requested"), then cleared. */
  flash: string | null;
}

export interface SessionLimits {
  /** Sessions kept at most; the least recently used goes first. */
  maxSessions: number;
  /** Sessions of one token at most; its least recently used goes first. Default 10. */
  maxPerToken?: number;
  /** Unused this long (ms): signed out. */
  idleMs: number;
  /** This long after sign-in (ms): signed out, however active. */
  absoluteMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxSessions: 1000,
  maxPerToken: 10,
  idleMs: 60 * 60 * 1000,
  absoluteMs: 12 * 60 * 60 * 1000,
};

export interface Sessions {
  /** A new session for `actor`, signed in with `credential` (null: `--insecure-no-auth`). */
  create(actor: Actor, credential: string | null): Session;
  /** The live session with this id (its idle clock restarts), or null when unknown or expired. */
  get(id: string): Session | null;
  destroy(id: string): void;
  size(): number;
}

/** 256 random bits, URL-safe: session ids and CSRF tokens. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Dashboard sessions, in memory (a restart signs everybody out; tokens stay the credential).
 * Bounded in count, in all and per token (so one token signing in again and again pushes out only
 * its own oldest sessions); each expires after `idleMs` unused or `absoluteMs` after sign-in.
 */
export function createSessions(now: () => number, limits: SessionLimits = DEFAULT_SESSION_LIMITS): Sessions {
  const perToken = Math.max(1, limits.maxPerToken ?? 10);
  const maxSessions = Math.max(1, limits.maxSessions);
  // Maps and Sets keep insertion order: re-inserting on use makes the first entry the least recently used.
  const byId = new Map<string, { s: Session; token: string | null }>();
  /** Each token's session ids, keyed by a hash of the token. */
  const byToken = new Map<string, Set<string>>();
  const expired = (s: Session, t: number) => t - s.lastSeenAt >= limits.idleMs || t - s.createdAt >= limits.absoluteMs;
  const remove = (id: string) => {
    const e = byId.get(id);
    if (!e) return;
    byId.delete(id);
    if (e.token === null) return;
    const ids = byToken.get(e.token);
    ids?.delete(id);
    if (ids?.size === 0) byToken.delete(e.token);
  };
  const oldest = (ids: Iterable<string>) => ids[Symbol.iterator]().next().value as string;
  return {
    create(actor, credential) {
      const t = now();
      for (const [id, e] of byId) if (expired(e.s, t)) remove(id);
      const token = credential === null ? null : tokenHash(credential);
      const own = token === null ? undefined : byToken.get(token);
      while (own && own.size >= perToken) remove(oldest(own));
      while (byId.size >= maxSessions) remove(oldest(byId.keys()));
      const s: Session = {
        id: randomToken(),
        csrf: randomToken(),
        actor,
        tokenHash: token,
        createdAt: t,
        lastSeenAt: t,
        flash: null,
      };
      byId.set(s.id, { s, token });
      if (token !== null) byToken.set(token, (byToken.get(token) ?? new Set<string>()).add(s.id));
      return s;
    },
    get(id) {
      const e = byId.get(id);
      if (!e) return null;
      const t = now();
      if (expired(e.s, t)) {
        remove(id);
        return null;
      }
      e.s.lastSeenAt = t;
      byId.delete(id);
      byId.set(id, e);
      const ids = e.token === null ? undefined : byToken.get(e.token);
      ids?.delete(id);
      ids?.add(id);
      return e.s;
    },
    destroy: remove,
    size: () => byId.size,
  };
}
