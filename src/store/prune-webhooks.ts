import type { Store } from './store';

/**
 * How long and how many webhook notifications are kept for `rune rules replay`: RUNE_WEBHOOK_RETENTION
 * and RUNE_WEBHOOK_RETENTION_COUNT (src/settings/read-settings.ts; docs/configuration.md).
 */
export interface WebhookRetention {
  maxAgeMs: number;
  /** 0: none are kept (recording is off). */
  maxCount: number;
}
/** Rows per DELETE: each batch is a short transaction, so ingest waits at most one batch's time. */
export const PRUNE_BATCH = 1000;

/**
 * Deletes webhooks past their retention, oldest first, at most `maxBatches` batches (so one call
 * is bounded in time; the next call continues). Returns how many rows went.
 */
export function pruneWebhooks(
  store: Pick<Store, 'pruneWebhooks'>,
  retention: WebhookRetention,
  nowMs: number,
  maxBatches: number,
  batch = PRUNE_BATCH,
): number {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = store.pruneWebhooks(nowMs - retention.maxAgeMs, retention.maxCount, batch);
    total += n;
    if (n < batch) break;
  }
  return total;
}
