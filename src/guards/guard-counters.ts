/**
 * In-process counts of guard decisions by reason prefix (`cooldown`, `budget`, `node_busy`, …)
 * and of breaker openings, for GET /api/v1/guards (and, through `also`, the Prometheus metrics). They restart at zero
 * with the process; the jobs in the store are the lasting record.
 */
export interface GuardCounters {
  /** Counts one suppression by the prefix of its reason (the text before the first `:`). */
  suppressed(reason: string): void;
  breakerOpened(rule: string): void;
  snapshot(): { suppressed: Record<string, number>; breaker_opened: Record<string, number> };
}

/** `also` hears every count too (the Prometheus metrics of start-server). */
export function createGuardCounters(
  also: { guardDecision(reason: string): void; breakerOpened(rule: string): void } | null = null,
): GuardCounters {
  const suppressed = new Map<string, number>();
  const opened = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  return {
    suppressed(reason) {
      bump(suppressed, reasonPrefix(reason));
      also?.guardDecision(reason);
    },
    breakerOpened(rule) {
      bump(opened, rule);
      also?.breakerOpened(rule);
    },
    snapshot: () => ({ suppressed: Object.fromEntries(suppressed), breaker_opened: Object.fromEntries(opened) }),
  };
}

/** `cooldown: rule x ran …` → `cooldown`. */
export function reasonPrefix(reason: string): string {
  const i = reason.indexOf(':');
  return i > 0 ? reason.slice(0, i) : reason;
}
