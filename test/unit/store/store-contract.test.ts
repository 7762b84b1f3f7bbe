/**
 * The Store contract (src/store/store.ts), the same tests on both backends: SQLite (a file) and
 * PostgreSQL (a real server from Debian's packages, started here on 127.0.0.1). Two stores opened
 * on one database stand for two replicas of RUNE.
 */
import { join } from 'node:path';
import type { GuardFacts } from '../../../src/core/guard-state';
import type { NewJob } from '../../../src/core/job';
import type { Alert, Result } from '../../../src/core/types';
import { openPgStore } from '../../../src/store/pg/open-pg-store';
import { openSqliteStore } from '../../../src/store/sqlite-store';
import type { GroupGuard, Store } from '../../../src/store/store';
import { PG_PASSWORD, startPostgres, type TestPostgres } from '../../helpers/postgres';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';

let pg: TestPostgres;
let dir: string;
beforeAll(async () => {
  pg = await startPostgres('store-contract');
  dir = makeTempDir('store-contract');
}, 60_000);
afterAll(() => {
  pg?.stop();
  removeTempDir(dir);
});

const opened: Store[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

interface Backend {
  /** A fresh database; `replica()` opens one more store (replica) on it. */
  fresh(): { replica(name: string, nowMs?: number): Store };
}

let files = 0;
const BACKENDS: [string, Backend][] = [
  [
    'sqlite',
    {
      fresh() {
        const path = join(dir, `db-${++files}.sqlite`);
        return {
          replica: (name, nowMs = Date.now()) => {
            const s = openSqliteStore(path, { replica: name, nowMs });
            opened.push(s);
            return s;
          },
        };
      },
    },
  ],
  [
    'postgres',
    {
      fresh() {
        const db = pg.createDatabase('contract');
        return {
          replica: (name, nowMs = Date.now()) => {
            const s = openPgStore({ url: pg.url(db), password: PG_PASSWORD, replica: name, nowMs });
            opened.push(s);
            return s;
          },
        };
      },
    },
  ],
];

const alert = (fingerprint: string, startsAt = '2024-05-01T10:00:00Z'): Alert => ({
  source: 'alertmanager',
  status: 'firing',
  labels: { alertname: 'A', instance: 'web-1' },
  annotations: {},
  startsAt,
  endsAt: null,
  fingerprint,
});

let seq = 0;
function job(extra: Partial<NewJob> & { node?: string; action?: string } = {}): NewJob {
  const { node = 'web-1', action = 'restart', ...rest } = extra;
  const id = `job-${String(++seq).padStart(6, '0')}`;
  return {
    id,
    traceId: 'a'.repeat(32),
    request: { action, node, params: { n: seq }, dryRun: false, pluginDryRun: false },
    trigger: { kind: 'api', actor: 'tester' },
    alert: null,
    incident: null,
    chainId: id,
    step: 0,
    after: null,
    stopOnFailureOf: true,
    notify: [],
    mutating: true,
    createdAt: new Date(Date.UTC(2024, 4, 1, 10, 0, seq % 60)).toISOString(),
    ...rest,
  };
}

const result = (jobId: string, status: Result['status'] = 'succeeded'): Result =>
  ({ job_id: jobId, status, summary: `${status} here` }) as unknown as Result;

/** A budget of one run per hour for rule r (what decideGuards does, reduced to the budget). */
function budgetOfOne(node: string, at: number): GroupGuard {
  return {
    rule: 'r',
    node,
    chainId: `chain-${node}-${at}`,
    at,
    windows: { cooldownMs: null, budgetMs: 3_600_000, blastMs: null },
    decide: (f: GuardFacts) =>
      f.runsInBudgetWindow >= 1 ? { admit: false, reason: 'budget: 1 run per 1h used' } : { admit: true, probe: false },
    skipped: () => [],
  };
}

describe.each(BACKENDS)('%s', (_name, backend) => {
  test('jobs: created, read back whole, listed newest first with filters and pages, found by id prefix', () => {
    const s = backend.fresh().replica('a');
    const a = job({ node: 'web-1' });
    const b = job({ node: 'web-2', action: 'gather' });
    const c = job({ node: 'web-1', incident: { provider: 'pagerduty', id: 'PX1' } });
    s.createJobs([a, b, c]);
    expect(s.getJob(a.id)).toMatchObject({
      id: a.id,
      status: 'queued',
      request: a.request,
      trigger: a.trigger,
      mutating: true,
      deliveries: [],
      lockUntil: null,
    });
    expect(s.getJob('nope')).toBeNull();
    expect(s.listJobs({}).map((j) => j.id)).toEqual([c.id, b.id, a.id]);
    expect(s.listJobs({ node: 'web-1' }).map((j) => j.id)).toEqual([c.id, a.id]);
    expect(s.listJobs({ action: 'gather' }).map((j) => j.id)).toEqual([b.id]);
    expect(s.listJobs({ incident: 'PX1' }).map((j) => j.id)).toEqual([c.id]);
    expect(s.listJobs({ limit: 1, before: c.id }).map((j) => j.id)).toEqual([b.id]);
    expect(s.jobIdsStartingWith('job-', 10)).toEqual([a.id, b.id, c.id]);
    expect(s.jobIdsStartingWith(a.id, 10)).toEqual([a.id]);
  });

  test('dedup: a second delivery of an episode gets the first jobs, and nothing is inserted', () => {
    const s = backend.fresh().replica('a');
    const first = s.createJobs([job()], 'episode-1');
    const again = s.createJobs([job()], 'episode-1');
    expect(first.duplicate).toBe(false);
    expect(again).toMatchObject({ duplicate: true, jobs: [{ id: first.jobs[0]!.id }] });
    expect(s.listJobs({})).toHaveLength(1);
    expect(s.rememberKey('pd-1')).toBe(true);
    expect(s.rememberKey('pd-1')).toBe(false);
  });

  test('guards are decided with the insert: two replicas cannot both pass a budget of one', () => {
    const db = backend.fresh();
    const [a, b] = [db.replica('a'), db.replica('b')];
    const at = Date.now();
    const first = a.createJobGroups([
      { jobs: [job({ node: 'web-1' })], dedupKey: 'k1', guard: budgetOfOne('web-1', at) },
    ]);
    const second = b.createJobGroups([
      { jobs: [job({ node: 'web-2' })], dedupKey: 'k2', guard: budgetOfOne('web-2', at) },
    ]);
    expect(first[0]).toMatchObject({ duplicate: false, suppressed: null });
    expect(second[0]).toMatchObject({ duplicate: false, suppressed: 'budget: 1 run per 1h used', jobs: [] });
    expect(b.pruneGuardRuns(at + 1, 10)).toBe(1);
  });

  test('a run is claimed once; a mutating one waits while another runs on its node, on any replica', () => {
    const db = backend.fresh();
    const [a, b] = [db.replica('a'), db.replica('b')];
    const [ja] = a.createJobs([job({ node: 'web-1' })]).jobs;
    const [jb] = b.createJobs([job({ node: 'web-1' })]).jobs;
    const [readOnly] = b.createJobs([job({ node: 'web-1', mutating: false })]).jobs;
    const at = new Date().toISOString();
    expect(b.markRunning(ja!.id, at, null)).toBe('gone'); // not b's job
    expect(a.markRunning(ja!.id, at, Date.now() + 60_000)).toBe('started');
    expect(a.markRunning(ja!.id, at, null)).toBe('gone'); // already running
    expect(b.markRunning(jb!.id, at, null)).toMatchObject({
      heldBy: ja!.id,
      what: expect.stringMatching(/^stayed locked by mutating job \S+ \(restart\) on replica a$/),
    });
    expect(b.markRunning(readOnly!.id, at, null)).toBe('started'); // read-only runs beside it
    a.finishJob(ja!.id, 'succeeded', result(ja!.id), null, at);
    expect(b.markRunning(jb!.id, at, null)).toBe('started');
    expect(b.getJob(jb!.id)).toMatchObject({ status: 'running', startedAt: at });
  });

  test('a dead replica: its queued jobs are taken over, its running ones never re-run, its node held', () => {
    const t0 = Date.now();
    const db = backend.fresh();
    const dead = db.replica('dead', t0);
    const live = db.replica('live', t0);
    const [running, queued] = dead.createJobs([job({ node: 'web-1' }), job({ node: 'web-2' })]).jobs;
    const [readOnly] = dead.createJobs([job({ node: 'web-3', mutating: false })]).jobs;
    dead.markRunning(running!.id, new Date(t0).toISOString(), t0 + 600_000);
    dead.markRunning(readOnly!.id, new Date(t0).toISOString(), null);
    dead.acceptPendingIncident(
      null,
      'pending-1',
      { incident: 'PX' },
      {
        at: new Date(t0).toISOString(),
        actor: 'pd',
        source: 'x',
        action: 'incident',
        target: 'PX',
        details: {},
      },
    );
    expect(live.heartbeat(t0 + 1000)).toBe(true);
    // dead's lease is older than the bound; live's is not.
    const taken = live.takeOver(t0 + 500, new Date(t0 + 2000).toISOString());
    expect(taken.replicas).toEqual(['dead']);
    expect(taken.queued.map((e) => e.id)).toEqual([queued!.id]);
    expect(taken.stopped.map((j) => [j.id, j.status])).toEqual(
      expect.arrayContaining([
        [running!.id, 'outcome_unknown'],
        [readOnly!.id, 'interrupted'],
      ]),
    );
    expect(live.getJob(running!.id)!.reason).toMatch(
      /^outcome_unknown: (replica dead|RUNE) stopped while restart ran on web-1/,
    );
    expect(live.heldNodes(t0 + 3000)).toEqual([{ jobId: running!.id, node: 'web-1', untilMs: t0 + 600_000 }]);
    expect(live.queuedEntries().map((e) => e.id)).toEqual([queued!.id]);
    expect(live.pendingIncidents().map((p) => p.key)).toEqual(['pending-1']);
    // The "dead" one was only slow: it cannot start what was taken, and learns it lost its lease.
    expect(dead.markRunning(queued!.id, new Date().toISOString(), null)).toBe('gone');
    expect(dead.heartbeat(t0 + 4000)).toBe(false);
    expect(dead.queuedEntries()).toEqual([]);
    // The node stays held for a new mutating run until released.
    const [next] = live.createJobs([job({ node: 'web-1' })]).jobs;
    expect(live.markRunning(next!.id, new Date(t0 + 3000).toISOString(), null)).toMatchObject({ heldBy: running!.id });
    expect(live.releaseHeldNode(running!.id)).toBe(true);
    expect(live.markRunning(next!.id, new Date(t0 + 3000).toISOString(), null)).toBe('started');
    expect(live.takeOver(t0 + 500, new Date().toISOString())).toMatchObject({ replicas: [], queued: [], stopped: [] });
  });

  test('a cancel asked on one replica reaches the replica running the job, once', () => {
    const db = backend.fresh();
    const [a, b] = [db.replica('a'), db.replica('b')];
    const [j] = a.createJobs([job()]).jobs;
    expect(b.requestCancel(j!.id, 'cancelled: by otto')).toBe(false); // queued: nothing runs
    a.markRunning(j!.id, new Date().toISOString(), null);
    expect(b.requestCancel(j!.id, 'cancelled: by otto')).toBe(true);
    expect(b.takeCancelRequests()).toEqual([]);
    expect(a.takeCancelRequests()).toEqual([{ id: j!.id, reason: 'cancelled: by otto' }]);
    expect(a.takeCancelRequests()).toEqual([]);
  });

  test('results, deliveries, a resolve cancelling queued runs, and only this replica interrupted at its stop', () => {
    const db = backend.fresh();
    const [a, b] = [db.replica('a'), db.replica('b')];
    const fired = alert('fp-1');
    const [j1, j2] = a.createJobs([
      job({ alert: fired, trigger: { kind: 'alert', source: 'alertmanager', rule: 'r', alert_fingerprint: 'fp-1' } }),
      job({ node: 'web-9' }),
    ]).jobs;
    const [other] = b.createJobs([job({ node: 'web-5' })]).jobs;
    const cancelled = a.cancelQueuedForAlert('fp-1', '2024-05-01T12:00:00+02:00', 'resolved', 'now', (jj) =>
      result(jj.id, 'cancelled'),
    );
    expect(cancelled.map((j) => [j.id, j.status])).toEqual([[j1!.id, 'cancelled']]);
    a.markRunning(j2!.id, new Date().toISOString(), null);
    b.markRunning(other!.id, new Date().toISOString(), null);
    a.addDelivery(j2!.id, { reporter: 'slack', ok: true } as never);
    a.addDelivery(j2!.id, { reporter: 'pagerduty', ok: false } as never);
    expect(a.getJob(j2!.id)!.deliveries).toEqual([
      { reporter: 'slack', ok: true },
      { reporter: 'pagerduty', ok: false },
    ]);
    expect(a.interruptRunning('later').map((j) => [j.id, j.status])).toEqual([[j2!.id, 'outcome_unknown']]);
    expect(b.getJob(other!.id)!.status).toBe('running');
    b.finishJob(other!.id, 'failed', result(other!.id, 'failed'), 'it broke', 'end');
    expect(b.getJob(other!.id)).toMatchObject({ status: 'failed', reason: 'it broke', finishedAt: 'end' });
  });

  test('pause, breakers, audit (append-only, filtered, paged) and webhooks are shared and kept', () => {
    const db = backend.fresh();
    const [a, b] = [db.replica('a'), db.replica('b')];
    a.setPause({ since: 's', actor: 'ada', reason: 'maintenance' });
    expect(b.getPause()).toEqual({ since: 's', actor: 'ada', reason: 'maintenance' });
    b.setPause(null);
    expect(a.getPause()).toBeNull();
    expect(a.reloadGeneration()).toBe(0);
    expect(b.reloadGeneration(true)).toBe(1);
    expect(a.reloadGeneration()).toBe(1);
    const changed = a.updateBreaker('r', (br) => ({ ...br, failures: br.failures + 1 }));
    expect(changed.before.failures).toBe(0);
    expect(b.updateBreaker('r', (br) => ({ ...br, failures: br.failures + 1 })).after.failures).toBe(2);
    expect(a.listBreakers()).toEqual([expect.objectContaining({ rule: 'r', failures: 2 })]);
    for (const n of [1, 2, 3]) {
      (n === 2 ? b : a).audit({
        at: `2024-05-0${n}`,
        actor: `u${n}`,
        source: 's',
        action: 'act',
        target: 't',
        details: { n },
      });
    }
    expect(a.listAudit(2).map((r) => r.details)).toEqual([{ n: 3 }, { n: 2 }]);
    const page = b.queryAudit({ limit: 2 });
    expect(b.queryAudit({ limit: 2, before: page[1]!.seq }).map((r) => r.actor)).toEqual(['u1']);
    expect(b.queryAudit({ limit: 5, actor: 'u2' })).toHaveLength(1);
    expect(b.queryAudit({ limit: 5, since: '2024-05-02' })).toHaveLength(2);
    const webhook = {
      receivedAt: new Date(1000).toISOString(),
      source: 'alertmanager' as const,
      id: 'g',
      alerts: [alert('f')],
    };
    a.createJobGroups([], [], [webhook, { ...webhook, receivedAt: new Date(5000).toISOString() }]);
    expect(b.pruneWebhooks(2000, 100, 10)).toBe(1);
    expect(b.pruneWebhooks(0, 0, 10)).toBe(1);
    a.ping();
  });

  test('verifications and silences of rule runs: started once, finished once, seen from every replica', () => {
    const db = backend.fresh();
    const [a, b] = [db.replica('a'), db.replica('b')];
    const trigger = { kind: 'alert' as const, source: 'alertmanager' as const, rule: 'r', alert_fingerprint: 'f' };
    const [step1, step2] = a.createJobs([
      job({ chainId: 'chain-1', trigger, step: 0 }),
      job({ chainId: 'chain-1', trigger, step: 1 }),
    ]).jobs;
    a.createJobs([job({ chainId: 'chain-2', trigger: { kind: 'api', actor: 'x' } })]); // not a rule run
    a.finishJob(step1!.id, 'succeeded', result(step1!.id), null, '2024-05-01T10:00:05Z');
    expect(b.ruleRuns('2024-01-01T00:00:00Z')).toEqual([
      { rule: 'r', chainId: 'chain-1', statuses: ['succeeded', 'queued'] },
    ]);
    expect(b.jobsOfChain('chain-1').map((j) => j.id)).toEqual([step1!.id, step2!.id]);
    const v = {
      chainId: 'chain-1',
      rule: 'r',
      jobId: step2!.id,
      action: 'restart',
      node: 'web-1',
      fingerprint: 'f',
      startsAt: '2024-05-01T10:00:00Z',
      labels: { alertname: 'A' },
      query: null,
      startedAt: '2024-05-01T10:01:00Z',
      deadline: '2024-05-01T10:11:00Z',
    };
    expect(a.startVerification(v)).toBe(true);
    expect(b.startVerification(v)).toBe(false);
    expect(b.pendingVerifications().map((x) => x.chainId)).toEqual(['chain-1']);
    expect(
      b.finishVerification('chain-1', 'verified', 'resolved', '2024-05-01T10:03:00Z', '2024-05-01T10:02:50Z'),
    ).toMatchObject({ status: 'verified', summary: 'resolved' });
    expect(a.finishVerification('chain-1', 'not_fixed', 'late', '2024-05-01T10:12:00Z', null)).toBeNull();
    expect(a.listVerifications('2024-01-01T00:00:00Z')).toMatchObject([{ chainId: 'chain-1', status: 'verified' }]);
    const silence = {
      chainId: 'chain-1',
      rule: 'r',
      jobId: step2!.id,
      silenceId: 's-1',
      alertmanager: 'http://am:9093',
      labels: { alertname: 'A' },
      during: 'run' as const,
      status: 'active' as const,
      startedAt: '2024-05-01T10:01:00Z',
      endsAt: '2024-05-01T10:06:00Z',
      maxUntil: '2024-05-01T10:31:00Z',
      error: null,
    };
    expect(a.startRunSilence(silence)).toBe(true);
    expect(b.extendRunSilence('chain-1', 's-1', 'http://am:9093', '2024-05-01T10:11:00Z')).toBe(true);
    expect(a.activeRunSilences()).toMatchObject([{ chainId: 'chain-1', endsAt: '2024-05-01T10:11:00Z' }]);
    expect(b.endRunSilence('chain-1', '2024-05-01T10:04:00Z', null)).toMatchObject({ status: 'expired' });
    expect(a.endRunSilence('chain-1', '2024-05-01T10:05:00Z', null)).toBeNull();
  });

  test('a pending incident is stored once per delivery and finished', () => {
    const s = backend.fresh().replica('a');
    const record = { at: 'now', actor: 'pd', source: 's', action: 'incident', target: 'PX', details: {} };
    expect(s.acceptPendingIncident('delivery-1', 'p1', { n: 1 }, record)).toBe(true);
    expect(s.acceptPendingIncident('delivery-1', 'p1', { n: 1 }, record)).toBe(false);
    expect(s.pendingIncidents()).toEqual([{ key: 'p1', receivedAt: 'now', event: { n: 1 } }]);
    s.finishPendingIncident('p1');
    expect(s.pendingIncidents()).toEqual([]);
    expect(s.listAudit(5)).toHaveLength(1);
  });
});

test('postgres: replicas starting together migrate once; the schema version is recorded', () => {
  const db = pg.createDatabase('migrate');
  const stores = [1, 2, 3].map((n) => openPgStore({ url: pg.url(db), password: PG_PASSWORD, replica: `r${n}` }));
  opened.push(...stores);
  expect(pg.psql("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations", db).trim()).toBe(
    '1,2,3',
  );
  expect(() => pg.psql('UPDATE audit SET actor = 1', db)).toThrow(/append-only/);
});

test('postgres: unreachable or wrong password is a clear error at start, the password never shown', () => {
  expect(() => openPgStore({ url: pg.url(), password: 'wrong-secret', timeoutMs: 2000 })).toThrow(
    /^cannot open the database postgres:\/\/rune@127\.0\.0\.1:\d+\/postgres \(RUNE_DB\): password authentication failed/,
  );
  let message = '';
  try {
    openPgStore({ url: 'postgres://rune:hunter2@127.0.0.1:1/x', timeoutMs: 1000 });
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toMatch(
    /^cannot open the database postgres:\/\/rune:\*\*\*@127\.0\.0\.1:1\/x \(RUNE_DB\): connect ECONNREFUSED/,
  );
  expect(message).not.toContain('hunter2');
});

test('postgres: a database that goes away is unavailable (503-kind), and back by itself when it returns', () => {
  const db = pg.createDatabase('outage');
  const s = openPgStore({ url: pg.url(db), password: PG_PASSWORD, replica: 'r', timeoutMs: 2000 });
  opened.push(s);
  s.ping();
  pg.stopServer();
  let caught: unknown;
  try {
    s.createJobs([job()]);
  } catch (err) {
    caught = err;
  }
  pg.startServer();
  expect(caught).toMatchObject({ connection: true });
  s.ping();
  expect(s.createJobs([job()]).jobs).toHaveLength(1);
});
