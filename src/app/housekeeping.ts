import type { Logger } from '../core/logger';
import { guardRunsHorizonMs } from '../guards/guard-runs-horizon';
import type { RuleGuards } from '../guards/types';
import { pruneWebhooks, type WebhookRetention } from '../store/prune-webhooks';
import type { Store } from '../store/store';

/** guard_runs pruning: every 10 minutes, up to 20 batches of 5,000 rows each time. */
const GUARD_PRUNE_EVERY_MS = 10 * 60_000;
const GUARD_PRUNE_BATCH = 5000;

/** Webhooks kept for replay and guard history are pruned at start and then now and again. */
export function startHousekeeping(
  store: Store,
  o: { webhookRetention: WebhookRetention; log: Logger },
  now: () => Date,
  guards: () => Iterable<RuleGuards>,
): { stop(): void } {
  const retention = o.webhookRetention;
  pruneWebhooks(store, retention, now().getTime(), 10_000);
  const pruneTimer = setInterval(() => {
    try {
      pruneWebhooks(store, retention, now().getTime(), 20);
    } catch (err) {
      o.log.error({ err }, 'cannot prune stored webhooks');
    }
  }, 60_000);
  pruneTimer.unref();
  // guard_runs only needs the rows a guard window still reaches (docs/safety.md, State).
  const pruneGuardRuns = () => {
    try {
      const before = now().getTime() - guardRunsHorizonMs(guards());
      let removed = 0;
      for (let i = 0, n = GUARD_PRUNE_BATCH; i < 20 && n === GUARD_PRUNE_BATCH; i++) {
        removed += n = store.pruneGuardRuns(before, GUARD_PRUNE_BATCH);
      }
      if (removed > 0) o.log.info({ removed, before: new Date(before).toISOString() }, 'guard history pruned');
    } catch (err) {
      o.log.warn({ err }, 'cannot prune the guard history; will retry');
    }
  };
  pruneGuardRuns();
  const guardTimer = setInterval(pruneGuardRuns, GUARD_PRUNE_EVERY_MS);
  guardTimer.unref();
  return {
    stop() {
      clearInterval(pruneTimer);
      clearInterval(guardTimer);
    },
  };
}
