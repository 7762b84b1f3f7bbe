/**
 * The budget is decided inside the transaction that inserts the jobs: requests that arrive
 * together (one group commit), or two RUNE processes on one database file, cannot both take the
 * last run of a budget.
 */
import { join } from 'node:path';
import { resolveRuleGuards } from '../../../src/guards/resolve-rule-guards';
import { ingestAlerts, type IngestDeps } from '../../../src/app/ingest-alerts';
import type { PluginRegistry } from '../../../src/plugins/load-registry';
import { compileRules } from '../../../src/rules/compile-rules';
import { matchRules } from '../../../src/rules/match-rules';
import { createGroupCommitter } from '../../../src/store/create-group-committer';
import { openSqliteStore } from '../../../src/store/sqlite-store';
import type { Store } from '../../../src/store/store';
import type { Alert } from '../../../src/core/types';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';

const spec = {
  name: 'restart',
  matchers: ['alertname="Down"'],
  node: '{{ labels.nodename }}',
  steps: [{ action: 'noop' }],
  budget: { max_runs: 1, per: '1h' },
};
const compiled = compileRules([spec]);
const guards = resolveRuleGuards(spec, undefined, []);
const registry = { plugins: new Map(), problems: [] } as unknown as PluginRegistry;
let n = 0;

function deps(store: Store): IngestDeps {
  return {
    commit: createGroupCommitter(store),
    registry,
    match: (a) => matchRules(compiled, a),
    now: () => new Date(),
    newId: () => `id-${++n}`,
    newTraceId: () => 't',
    dryRun: true,
    guards: (rule) => (rule === 'restart' ? guards : undefined),
    canonicalNode: (asked) => asked,
  };
}
const alert = (fingerprint: string, nodename: string): Alert => ({
  source: 'alertmanager',
  status: 'firing',
  labels: { alertname: 'Down', nodename },
  annotations: {},
  startsAt: '2024-05-01T10:00:00Z',
  endsAt: null,
  fingerprint,
});

let dir: string;
beforeAll(() => (dir = makeTempDir('budget')));
afterAll(() => removeTempDir(dir));

test('two concurrent notifications, budget of 1: exactly one run is queued, the other is skipped budget', async () => {
  const store = openSqliteStore(join(dir, 'one.db'));
  const d = deps(store);
  const [a, b] = await Promise.all([ingestAlerts([alert('fa', 'web-1')], d), ingestAlerts([alert('fb', 'web-2')], d)]);
  const jobs = [...a!.created, ...b!.created];
  expect(jobs.map((j) => j.status).sort()).toEqual(['queued', 'skipped']);
  const skipped = jobs.find((j) => j.status === 'skipped')!;
  expect(skipped.reason).toBe('budget: rule restart used 1 of 1 runs per 1h');
  expect(skipped.result).toMatchObject({ status: 'skipped', summary: `skipped: ${skipped.reason}` });
  expect([...a!.suppressed, ...b!.suppressed]).toEqual([
    {
      rule: 'restart',
      node: skipped.request.node,
      fingerprint: skipped.trigger.alert_fingerprint,
      reason: skipped.reason,
      jobs: [skipped.id],
    },
  ]);
  // A repeat of the refused episode is a duplicate, not a new decision.
  const again = await ingestAlerts([alert(skipped.trigger.alert_fingerprint!, skipped.request.node)], d);
  expect(again).toMatchObject({ jobs: [], duplicates: [skipped.id], suppressed: [] });
  store.close();
});

test('two stores on one database file (two replicas) share the budget', async () => {
  const path = join(dir, 'shared.db');
  const first = openSqliteStore(path);
  const second = openSqliteStore(path);
  const [x, y] = await Promise.all([
    ingestAlerts([alert('r1', 'web-1')], deps(first)),
    ingestAlerts([alert('r2', 'web-2')], deps(second)),
  ]);
  expect([...x!.created, ...y!.created].map((j) => j.status).sort()).toEqual(['queued', 'skipped']);
  first.close();
  second.close();
});

test('guard pruning drops only runs older than the cut, in bounded batches; budget counts recent ones', async () => {
  const store = openSqliteStore(join(dir, 'prune.db'));
  let clock = Date.parse('2024-05-01T08:00:00Z');
  const d = { ...deps(store), now: () => new Date(clock) };
  // Three admitted runs two hours ago (budget 1 per 1h: one per hour passes), then one now.
  for (const [i, at] of ['2024-05-01T08:00:00Z', '2024-05-01T09:01:00Z', '2024-05-01T10:02:00Z'].entries()) {
    clock = Date.parse(at);
    expect((await ingestAlerts([alert(`p${i}`, 'web-1')], d)).suppressed).toEqual([]);
  }
  const cut = Date.parse('2024-05-01T10:00:00Z');
  expect(store.pruneGuardRuns(cut, 1)).toBe(1); // a batch of one
  expect(store.pruneGuardRuns(cut, 100)).toBe(1);
  expect(store.pruneGuardRuns(cut, 100)).toBe(0); // the 10:02 run stays
  clock = Date.parse('2024-05-01T10:30:00Z');
  const refused = await ingestAlerts([alert('p9', 'web-2')], d);
  expect(refused.suppressed[0]?.reason).toBe('budget: rule restart used 1 of 1 runs per 1h');
  store.close();
});
