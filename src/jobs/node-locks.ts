import type { Job } from '../core/job';

/** Why a mutating job cannot start on a node now, and until when at the latest. */
export interface NodeHolder {
  what: string;
  untilMs: number;
}

/**
 * The per-node lock (docs/safety.md): a node is held by the mutating job running on it, or, after
 * RUNE stopped mid-run, by that run of unknown outcome until its timeout and kill grace have passed
 * or an operator releases it (docs/safety.md, Outcome unknown).
 */
export function createNodeLocks() {
  const running = new Map<string, Job>();
  const held = new Map<string, { jobId: string; untilMs: number }>();
  return {
    lock(job: Job): void {
      if (job.mutating) running.set(job.request.node, job);
    },
    unlock(job: Job): void {
      if (job.mutating && running.get(job.request.node) === job) running.delete(job.request.node);
    },
    hold(h: { jobId: string; node: string; untilMs: number }): void {
      held.set(h.node, { jobId: h.jobId, untilMs: h.untilMs });
    },
    releaseHeld(jobId: string): void {
      for (const [node, h] of held) if (h.jobId === jobId) held.delete(node);
    },
    /** Who holds `node` at `nowMs`; undefined when a mutating job may start there. */
    holder(node: string, nowMs: number): NodeHolder | undefined {
      const job = running.get(node);
      if (job) return { what: `stayed locked by mutating job ${job.id} (${job.request.action})`, untilMs: Infinity };
      const h = held.get(node);
      if (!h) return undefined;
      if (h.untilMs <= nowMs) {
        held.delete(node); // the run's timeout and kill grace have passed: it cannot be running any more
        return undefined;
      }
      const until = new Date(h.untilMs).toISOString();
      return {
        what: `stayed held by job ${h.jobId}, whose outcome is unknown (held until ${until})`,
        untilMs: h.untilMs,
      };
    },
  };
}
