import type { Logger } from '../core/logger';
import { isStoreUnavailable } from '../store/store-unavailable';

/** Backoff between attempts at a write the store refused for now (disk full): doubling, capped. */
export const STORE_RETRY_MIN_MS = 100;
export const STORE_RETRY_MAX_MS = 30_000;

/**
 * The queue's writes to a store that may be unable to write for a while (disk full, read-only,
 * locked: docs/safety.md, The queue and its store). The queue changes its own state only after a
 * write succeeded, so it is never ahead of the store; a refused write is tried again with backoff
 * and the queue carries on by itself once the store can write again. Other errors are RUNE's own
 * faults and are thrown.
 */
export function createStoreWrites(o: { log: Pick<Logger, 'warn' | 'error' | 'info'>; minMs?: number; maxMs?: number }) {
  const minMs = o.minMs ?? STORE_RETRY_MIN_MS;
  const maxMs = o.maxMs ?? STORE_RETRY_MAX_MS;
  let downSince: number | null = null;
  let delayMs = minMs;

  const failed = (err: unknown, what: string): void => {
    if (!isStoreUnavailable(err)) throw err;
    if (downSince === null) {
      downSince = Date.now();
      o.log.error({ err, what }, `the store cannot write (${err.code}): the job queue waits and retries`);
    }
    delayMs = Math.min(maxMs, delayMs * 2);
  };
  const succeeded = (): void => {
    if (downSince !== null) {
      o.log.info({ down_ms: Date.now() - downSince }, 'the store can write again: the job queue carries on');
    }
    downSince = null;
    delayMs = minMs;
  };

  return {
    /** Whether the store refused the last write and has not taken one since. */
    down: () => downSince !== null,
    /** The wait before the next attempt while the store is down. */
    retryInMs: () => delayMs,
    /** One attempt: true when written; false (retry later) when the store cannot write now. */
    attempt(write: () => void, what: string): boolean {
      try {
        write();
      } catch (err) {
        failed(err, what);
        return false;
      }
      succeeded();
      return true;
    },
    /**
     * Tries until written, waiting with backoff in between, or until `giveUp` is aborted (a shutdown
     * past its grace): then false, and the caller says what could not be stored.
     */
    async persist(write: () => void, what: string, giveUp: AbortSignal): Promise<boolean> {
      for (;;) {
        try {
          write();
          succeeded();
          return true;
        } catch (err) {
          failed(err, what);
        }
        if (giveUp.aborted) return false;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            giveUp.removeEventListener('abort', done);
            resolve();
          };
          const timer = setTimeout(done, delayMs);
          giveUp.addEventListener('abort', done, { once: true });
        });
      }
    },
  };
}

export type StoreWrites = ReturnType<typeof createStoreWrites>;
