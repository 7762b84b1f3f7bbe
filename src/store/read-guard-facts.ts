import type { SqlDb } from './sql-db';
import type { BreakerState, GuardFacts, GuardWindows, PauseState } from '../core/guard-state';

/** What one guard decision needs to know to read its facts (GroupGuard's fields). */
export interface FactsQuery {
  rule: string;
  node: string;
  /** Epoch ms of the decision. */
  at: number;
  windows: GuardWindows;
}

export interface GuardFactsReader {
  pause(): PauseState | null;
  breaker(rule: string): BreakerState | null;
  facts(q: FactsQuery): GuardFacts;
}

/**
 * Reads the guards' facts (pause, breaker, admitted runs in the windows) from RUNE's database. The
 * service calls it inside the transaction that inserts the jobs; `rune rules test` on a read-only
 * connection, so both see the same state the same way.
 */
export function createGuardFactsReader(db: SqlDb): GuardFactsReader {
  const getState = db.prepare('SELECT value FROM guard_state WHERE key = ?');
  const getBreaker = db.prepare('SELECT state FROM breakers WHERE rule = ?');
  const lastRunOnNode = db.prepare('SELECT MAX(at_ms) AS m FROM guard_runs WHERE rule = ? AND node = ?');
  const runsSince = db.prepare('SELECT COUNT(*) AS n FROM guard_runs WHERE rule = ? AND at_ms > ?');
  const nodesSince = db.prepare(
    'SELECT COUNT(DISTINCT node) AS n, COALESCE(MAX(CASE WHEN node = ? THEN 1 ELSE 0 END), 0) AS mine ' +
      'FROM guard_runs WHERE rule = ? AND at_ms > ?',
  );

  const pause = (): PauseState | null => {
    const row = getState.get('pause') as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as PauseState) : null;
  };
  const breaker = (rule: string): BreakerState | null => {
    const row = getBreaker.get(rule) as { state: string } | undefined;
    return row ? (JSON.parse(row.state) as BreakerState) : null;
  };
  return {
    pause,
    breaker,
    /** Only what the rule's guards need is read: with no cooldown, budget or blast radius, two point reads. */
    facts(g) {
      const blast =
        g.windows.blastMs === null
          ? { n: 0, mine: 0 }
          : (nodesSince.get(g.node, g.rule, g.at - g.windows.blastMs) as { n: number; mine: number });
      return {
        pause: pause(),
        breaker: breaker(g.rule),
        lastRunOnNode:
          g.windows.cooldownMs === null
            ? null
            : ((lastRunOnNode.get(g.rule, g.node) as { m: number | null }).m ?? null),
        runsInBudgetWindow:
          g.windows.budgetMs === null ? 0 : (runsSince.get(g.rule, g.at - g.windows.budgetMs) as { n: number }).n,
        nodesInBlastWindow: blast.n,
        nodeInBlastWindow: blast.mine === 1,
      };
    },
  };
}
