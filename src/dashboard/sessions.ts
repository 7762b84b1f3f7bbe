import { randomBytes } from 'node:crypto';
import type { Actor } from '../auth/actor';

/** One signed-in browser: who, its CSRF token, and when it was made and last used. */
export interface Session {
  id: string;
  /** Every form carries it; a POST without it, or with another, is refused. */
  csrf: string;
  actor: Actor;
  createdAt: number;
  lastSeenAt: number;
  /** One message shown on the next page (e.g. "cancel requested"), then cleared. */
  flash: string | null;
}

export interface SessionLimits {
  /** Sessions kept at most; the least recently used goes first. */
  maxSessions: number;
  /** Unused this long (ms): signed out. */
  idleMs: number;
  /** This long after sign-in (ms): signed out, however active. */
  absoluteMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxSessions: 1000,
  idleMs: 60 * 60 * 1000,
  absoluteMs: 12 * 60 * 60 * 1000,
};

export interface Sessions {
  create(actor: Actor): Session;
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
 * Bounded in count; each expires after `idleMs` unused or `absoluteMs` after sign-in.
 */
export function createSessions(now: () => number, limits: SessionLimits = DEFAULT_SESSION_LIMITS): Sessions {
  // A Map keeps insertion order: re-inserting on use makes the first entry the least recently used.
  const byId = new Map<string, Session>();
  const expired = (s: Session, t: number) => t - s.lastSeenAt >= limits.idleMs || t - s.createdAt >= limits.absoluteMs;
  return {
    create(actor) {
      const t = now();
      for (const [id, s] of byId) if (expired(s, t)) byId.delete(id);
      while (byId.size >= limits.maxSessions) {
        const oldest = byId.keys().next().value as string;
        byId.delete(oldest);
      }
      const s: Session = { id: randomToken(), csrf: randomToken(), actor, createdAt: t, lastSeenAt: t, flash: null };
      byId.set(s.id, s);
      return s;
    },
    get(id) {
      const s = byId.get(id);
      if (!s) return null;
      const t = now();
      byId.delete(id);
      if (expired(s, t)) return null;
      s.lastSeenAt = t;
      byId.set(id, s);
      return s;
    },
    destroy(id) {
      byId.delete(id);
    },
    size: () => byId.size,
  };
}
