import type { AuditRecord, GroupOutcome, JobGroup, Store, WebhookRecord } from './store';

export type GroupCommit = (
  groups: JobGroup[],
  audits: AuditRecord[],
  webhooks?: WebhookRecord[],
) => Promise<GroupOutcome[]>;

/**
 * Group commit: the job groups of every request that arrives in the same turn of the event loop
 * are written in ONE transaction, and each request is answered once that transaction committed
 * (so a 202 still means "stored"). Under load most of the cost of ingest is the commit itself,
 * measured in bench/ingest; with one commit per turn it is shared by every request of that turn.
 * A failed transaction fails every request in it (the senders get a 5xx and retry). Guard
 * decisions (JobGroup.guard) are taken inside that transaction, in arrival order; the webhook
 * records (for `rune rules replay`) are written in it too.
 */
export function createGroupCommitter(store: Store): GroupCommit {
  let pending: {
    groups: JobGroup[];
    audits: AuditRecord[];
    webhooks: WebhookRecord[];
    resolve: (r: GroupOutcome[]) => void;
    reject: (e: unknown) => void;
  }[] = [];
  let scheduled = false;
  const flush = () => {
    const batch = pending;
    pending = [];
    scheduled = false;
    try {
      const all = store.createJobGroups(
        batch.flatMap((b) => b.groups),
        batch.flatMap((b) => b.audits),
        batch.flatMap((b) => b.webhooks),
      );
      let i = 0;
      for (const b of batch) {
        b.resolve(all.slice(i, i + b.groups.length));
        i += b.groups.length;
      }
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  };
  return (groups, audits, webhooks = []) =>
    new Promise((resolve, reject) => {
      pending.push({ groups, audits, webhooks, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
