import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createJobQueue } from '../../../src/jobs/job-queue';
import { skippedResult } from '../../../src/jobs/skipped-result';
import { openSqliteStore } from '../../../src/store/sqlite-store';
import type { Job, NewJob } from '../../../src/core/job';
import type { Store } from '../../../src/store/store';
import type { JobStatus, Result } from '../../../src/core/types';
import { quietLog } from '../../helpers/quiet-log';
import { waitFor } from '../../helpers/wait-for';

let serial = 0;
function newJob(over: Partial<NewJob> & { node?: string; action?: string } = {}): NewJob {
  const { node = 'web-1', action = 'noop', ...rest } = over;
  return {
    id: `job-${++serial}`,
    traceId: 't',
    request: { action, node, params: {}, dryRun: false, pluginDryRun: false },
    trigger: { kind: 'api' },
    alert: null,
    incident: null,
    chainId: null,
    step: 0,
    after: null,
    stopOnFailureOf: true,
    notify: [],
    mutating: false,
    createdAt: new Date().toISOString(),
    ...rest,
  };
}

/** A queue whose "run" is controlled by the test: each job waits until released, then ends as told. */
function harness(concurrency: number, outcomes: Record<string, JobStatus> = {}) {
  const store: Store = openSqliteStore(':memory:');
  const started: string[] = [];
  const releases = new Map<string, () => void>();
  let maxRunning = 0;
  const queue = createJobQueue({
    store,
    concurrency,
    now: () => new Date(),
    log: quietLog,
    report: async () => undefined,
    run: (job: Job) =>
      new Promise<Result>((resolve) => {
        started.push(job.id);
        maxRunning = Math.max(maxRunning, queue.running());
        releases.set(job.id, () => resolve(skippedResult(job, 'test', new Date(), outcomes[job.id] ?? 'succeeded')));
      }),
  });
  const release = async (id: string) => {
    await waitFor(() => releases.has(id), `job ${id} to start`, 5000, 5);
    releases.get(id)!();
    releases.delete(id);
  };
  return { store, queue, started, release, maxRunning: () => maxRunning };
}

const waitUntil = (cond: () => boolean, what: string, ms = 5000) => waitFor(cond, what, ms, 5);
/**
 * Lets the queue take a few scheduling turns: it starts jobs on setImmediate (src/jobs/job-queue.ts,
 * pump), so a job it would wrongly start has started after these, without a timed sleep.
 */
const queueTurns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

test('steps run in order; a failed step skips the rest of its chain', async () => {
  const h = harness(5, { 'chain-a1': 'failed' });
  const a1 = newJob({ id: 'chain-a1', chainId: 'a' });
  const a2 = newJob({ id: 'chain-a2', chainId: 'a', step: 1, after: 'chain-a1' });
  const a3 = newJob({ id: 'chain-a3', chainId: 'a', step: 2, after: 'chain-a2' });
  h.store.createJobs([a1, a2, a3]);
  h.queue.resume();
  await h.release('chain-a1');
  await h.queue.idle();
  expect(h.started).toEqual(['chain-a1']);
  expect(h.store.getJob('chain-a2')).toMatchObject({
    status: 'skipped',
    reason: expect.stringMatching(/^previous_step_failed: step 1 \(noop\) ended failed/),
  });
  expect(h.store.getJob('chain-a2')!.result).toMatchObject({ status: 'skipped' });
  expect(h.store.getJob('chain-a3')!.status).toBe('skipped');
});

test('continue_on_error on the failed step lets the next one run', async () => {
  const h = harness(5, { c1: 'failed' });
  h.store.createJobs([
    newJob({ id: 'c1', chainId: 'c' }),
    newJob({ id: 'c2', chainId: 'c', step: 1, after: 'c1', stopOnFailureOf: false }),
  ]);
  h.queue.resume();
  await h.release('c1');
  await h.release('c2');
  await h.queue.idle();
  expect(h.started).toEqual(['c1', 'c2']);
  expect(h.store.getJob('c2')!.status).toBe('succeeded');
});

test('two mutating jobs never overlap on a node; a read-only one runs beside them; other nodes are free', async () => {
  const h = harness(10);
  h.store.createJobs([
    newJob({ id: 'm1', mutating: true }),
    newJob({ id: 'm2', mutating: true }),
    newJob({ id: 'r1', mutating: false }),
    newJob({ id: 'other', node: 'web-2', mutating: true }),
  ]);
  h.queue.resume();
  await waitUntil(() => h.started.length === 3, 'three jobs to start');
  await queueTurns();
  expect(h.started.sort()).toEqual(['m1', 'other', 'r1']);
  expect(h.store.getJob('m2')!.status).toBe('queued');
  await h.release('m1');
  await waitUntil(() => h.started.includes('m2'), 'm2 to start');
  for (const id of ['m2', 'r1', 'other']) await h.release(id);
  await h.queue.idle();
  expect(['m1', 'm2', 'r1', 'other'].map((id) => h.store.getJob(id)!.status)).toEqual([
    'succeeded',
    'succeeded',
    'succeeded',
    'succeeded',
  ]);
});

test('the global concurrency limit holds', async () => {
  const h = harness(3);
  const jobs = Array.from({ length: 8 }, (_, i) => newJob({ id: `g${i}`, node: `n${i}` }));
  h.store.createJobs(jobs);
  h.queue.resume();
  await waitUntil(() => h.started.length === 3, 'three jobs to start');
  await queueTurns();
  expect(h.started).toHaveLength(3);
  for (const j of jobs) await h.release(j.id);
  await h.queue.idle();
  expect(h.maxRunning()).toBeLessThanOrEqual(3);
  expect(h.started).toHaveLength(8);
});

test('a dedup key admits one set of jobs; the second attempt returns the first jobs', () => {
  const store = openSqliteStore(':memory:');
  const first = store.createJobs([newJob({ id: 'd1' })], 'episode-1');
  const second = store.createJobs([newJob({ id: 'd2' })], 'episode-1');
  expect(first.duplicate).toBe(false);
  expect(second).toMatchObject({ duplicate: true, jobs: [{ id: 'd1' }] });
  expect(store.getJob('d2')).toBeNull();
  expect(store.rememberKey('w-1')).toBe(true);
  expect(store.rememberKey('w-1')).toBe(false);
});

test('the audit log is append-only', () => {
  const path = join(tmpdir(), `rune-audit-${process.pid}.db`);
  const fileStore = openSqliteStore(path);
  fileStore.audit({ at: 'now', actor: 'a', source: 's', action: 'run', target: 't', details: {} });
  expect(fileStore.listAudit(5)).toEqual([
    { at: 'now', actor: 'a', source: 's', action: 'run', target: 't', details: {} },
  ]);
  fileStore.close();
  const raw = new Database(path);
  expect(() => raw.prepare("UPDATE audit SET actor = 'mallory'").run()).toThrow(/append-only/);
  expect(() => raw.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
  raw.close();
  rmSync(path, { force: true });
});

describe('guards in the queue', () => {
  test('a mutating job waiting for its node lock past the bound is skipped node_busy and reported', async () => {
    const store = openSqliteStore(':memory:');
    const reported: Result[] = [];
    const suppressed: string[] = [];
    const releases = new Map<string, () => void>();
    const queue = createJobQueue({
      store,
      concurrency: 5,
      now: () => new Date(),
      log: quietLog,
      nodeLockWaitMs: () => 100,
      suppressed: (_job, reason) => suppressed.push(reason),
      report: async (_job, r) => void reported.push(r),
      run: (job) =>
        new Promise<Result>((resolve) =>
          releases.set(job.id, () => resolve(skippedResult(job, 'test', new Date(), 'succeeded'))),
        ),
    });
    store.createJobs([
      newJob({ id: 'holder', mutating: true, action: 'restart-docker' }),
      newJob({ id: 'waiter', mutating: true }),
      newJob({ id: 'reader', mutating: false }),
    ]);
    queue.resume();
    await waitUntil(() => releases.has('holder') && releases.has('reader'), 'holder and reader to start');
    await waitUntil(() => store.getJob('waiter')!.status === 'skipped', 'the waiter to be skipped', 3000);
    expect(store.getJob('waiter')).toMatchObject({
      reason: 'node_busy: web-1 stayed locked by mutating job holder (restart-docker) for longer than 100ms',
    });
    expect(reported.map((r) => [r.job_id, r.status])).toEqual([['waiter', 'skipped']]);
    expect(suppressed).toEqual([expect.stringMatching(/^node_busy: /)]);
    releases.get('holder')!();
    releases.get('reader')!();
    await queue.idle();
    expect(store.getJob('holder')!.status).toBe('succeeded');
  });

  test('a waiter within the bound runs once the lock is free', async () => {
    const h = harness(5);
    h.store.createJobs([newJob({ id: 'l1', mutating: true }), newJob({ id: 'l2', mutating: true })]);
    h.queue.resume();
    await h.release('l1');
    await h.release('l2');
    await h.queue.idle();
    expect(h.store.getJob('l2')!.status).toBe('succeeded');
  });

  test("an automatic rule run's end is reported once: at the failed step that stops it, or the last step", async () => {
    const store = openSqliteStore(':memory:');
    const ends: [string, boolean][] = [];
    const outcomes: Record<string, JobStatus> = { f1: 'failed', k1: 'failed' };
    const queue = createJobQueue({
      store,
      concurrency: 5,
      now: () => new Date(),
      log: quietLog,
      report: async () => undefined,
      ruleRunEnded: (job, _r, ok) => void ends.push([job.id, ok]),
      run: async (job) => skippedResult(job, 'x', new Date(), outcomes[job.id] ?? 'succeeded'),
    });
    const alert = { kind: 'alert' as const, rule: 'r' };
    store.createJobs([
      newJob({ id: 's1', chainId: 's', trigger: alert }),
      newJob({ id: 's2', chainId: 's', step: 1, after: 's1', trigger: alert }),
      newJob({ id: 'f1', chainId: 'f', trigger: alert }),
      newJob({ id: 'f2', chainId: 'f', step: 1, after: 'f1', trigger: alert }),
      // continue_on_error on k1: the run goes on and ends with k2's success.
      newJob({ id: 'k1', chainId: 'k', trigger: alert }),
      newJob({ id: 'k2', chainId: 'k', step: 1, after: 'k1', stopOnFailureOf: false, trigger: alert }),
      newJob({ id: 'manual', trigger: { kind: 'api' } }),
    ]);
    queue.resume();
    await queue.idle();
    expect(ends.sort()).toEqual([
      ['f1', false],
      ['k2', true],
      ['s2', true],
    ]);
  });

  test('jobs stored already finished are reported once per chain; dropped jobs never start', async () => {
    const reported: string[] = [];
    const store = openSqliteStore(':memory:');
    const queue = createJobQueue({
      store,
      concurrency: 1,
      now: () => new Date(),
      log: quietLog,
      report: async (j) => void reported.push(j.id),
      run: async (job) => skippedResult(job, 'x', new Date(), 'succeeded'),
    });
    const [a, b] = store.createJobs([
      newJob({
        id: 'sk1',
        chainId: 'z',
        status: 'skipped',
        reason: 'budget: x',
        result: skippedResult(newJob({ id: 'sk1' }) as Job, 'budget: x', new Date()),
      }),
      newJob({
        id: 'sk2',
        chainId: 'z',
        step: 1,
        after: 'sk1',
        status: 'skipped',
        reason: 'budget: x',
        result: skippedResult(newJob({ id: 'sk2' }) as Job, 'budget: x', new Date()),
      }),
    ]).jobs;
    const [q] = store.createJobs([newJob({ id: 'drop-me' })]).jobs;
    queue.add([q!]); // scheduled for the next turn; a resolve cancels it before that
    queue.drop(['drop-me']);
    queue.add([a!, b!]);
    await queue.idle();
    expect(reported).toEqual(['sk1']);
    expect(store.getJob(q!.id)!.status).toBe('queued');
  });
});

test('a resolve cancels the queued runs of its own firing episode only, not a newer episode of the same alert', () => {
  const store = openSqliteStore(':memory:');
  const alert = (startsAt: string) => ({
    source: 'alertmanager' as const,
    status: 'firing' as const,
    labels: { alertname: 'A' },
    annotations: {},
    startsAt,
    endsAt: null,
    fingerprint: 'f00d',
  });
  const trigger = { kind: 'alert' as const, source: 'alertmanager', rule: 'r', alert_fingerprint: 'f00d' };
  store.createJobs([
    newJob({ id: 'ep1', alert: alert('2026-11-24T10:00:40Z'), trigger }),
    newJob({ id: 'ep3', alert: alert('2026-11-24T10:00:48Z'), trigger }),
  ]);
  const cancelled = store.cancelQueuedForAlert(
    'f00d',
    '2026-11-24T10:00:40Z',
    'resolved: test',
    new Date().toISOString(),
    (j) => skippedResult(j, 'resolved: test', new Date(), 'cancelled'),
  );
  expect(cancelled.map((j) => j.id)).toEqual(['ep1']);
  expect(store.getJob('ep1')!.status).toBe('cancelled');
  expect(store.getJob('ep3')!.status).toBe('queued');
});

describe('a store that cannot write (disk full)', () => {
  /** The SQLite store, whose writes fail with SQLITE_FULL while `full` is set (a real full disk: test/scenarios). */
  function fillableStore() {
    const store = openSqliteStore(':memory:');
    const state = { full: false };
    const refuse = () => {
      if (state.full) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    };
    const wrapped: Store = {
      ...store,
      markRunning: (...a) => (refuse(), store.markRunning(...a)),
      finishJob: (...a) => (refuse(), store.finishJob(...a)),
    };
    return { store: wrapped, state };
  }

  test('a result the store cannot take is kept, and its node stays locked, until the store takes it', async () => {
    const { store, state } = fillableStore();
    const releases = new Map<string, () => void>();
    const queue = createJobQueue({
      store,
      concurrency: 4,
      now: () => new Date(),
      log: quietLog,
      report: async () => undefined,
      run: (job) =>
        new Promise<Result>((resolve) =>
          releases.set(job.id, () => resolve(skippedResult(job, 'done', new Date(), 'succeeded'))),
        ),
    });
    const [a, b] = store.createJobs([newJob({ mutating: true }), newJob({ mutating: true })]).jobs as [Job, Job];
    queue.add([a, b]);
    await waitFor(() => releases.has(a.id), 'the first job to start');
    state.full = true;
    releases.get(a.id)!();
    const c = (store.createJobs([newJob({ node: 'web-2' })]).jobs as [Job])[0];
    queue.add([c]);
    // A few turns of the queue while the store refuses every write.
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 10));
    expect(store.getJob(a.id)?.status).toBe('running'); // not lost: still waiting for the store
    expect(queue.running()).toBe(1); // a's slot and web-1's lock are still taken
    expect(store.getJob(b.id)?.status).toBe('queued'); // neither started nor skipped node_busy
    expect(store.getJob(c.id)?.status).toBe('queued'); // not running here while the store says queued
    expect(releases.has(c.id)).toBe(false);
    state.full = false; // space is back: the queue carries on by itself
    await waitFor(() => store.getJob(a.id)?.status === 'succeeded', 'the first result to be stored');
    await waitFor(() => releases.has(b.id) && releases.has(c.id), 'the waiting jobs to start');
    releases.get(b.id)!();
    releases.get(c.id)!();
    await waitFor(() => ['succeeded'].includes(store.getJob(b.id)?.status ?? ''), 'the second job');
    expect(await queue.stop(1000)).toBe(true);
  });

  test('a job skipped while the store cannot write stays waiting, and is skipped once it can', async () => {
    const { store, state } = fillableStore();
    const queue = createJobQueue({
      store,
      concurrency: 4,
      now: () => new Date(),
      log: quietLog,
      report: async () => undefined,
      run: async (job) => skippedResult(job, 'failed', new Date(), 'failed'),
    });
    const first = (store.createJobs([newJob()]).jobs as [Job])[0];
    const second = (store.createJobs([newJob({ after: first.id })]).jobs as [Job])[0];
    queue.add([first]);
    await waitFor(() => store.getJob(first.id)?.status === 'failed', 'the first step to fail');
    state.full = true;
    queue.add([second]);
    for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 10));
    expect(store.getJob(second.id)?.status).toBe('queued');
    expect(queue.waiting()).toBe(1);
    state.full = false;
    await waitFor(() => store.getJob(second.id)?.status === 'skipped', 'the second step to be skipped');
    expect(store.getJob(second.id)?.reason).toMatch(/^previous_step_failed: /);
    expect(await queue.stop(1000)).toBe(true);
  });
});

describe('a mutating run whose outcome is unknown (RUNE stopped while it ran)', () => {
  function heldSetup() {
    const store = openSqliteStore(':memory:');
    let clock = Date.parse('2026-12-03T10:00:00.000Z');
    const [a, r] = store.createJobs([newJob({ mutating: true }), newJob({ node: 'web-9' })]).jobs as [Job, Job];
    store.markRunning(a.id, new Date(clock).toISOString(), clock + 60_000); // a's run window: 60 s
    store.markRunning(r.id, new Date(clock).toISOString(), null);
    const stopped = store.interruptRunning(new Date(clock + 1000).toISOString()); // RUNE died
    const started: string[] = [];
    const queue = createJobQueue({
      store,
      concurrency: 4,
      now: () => new Date(clock),
      log: quietLog,
      report: async () => undefined,
      run: async (job) => {
        started.push(job.id);
        return skippedResult(job, 'ran', new Date(clock), 'succeeded');
      },
    });
    return { store, queue, a, r, stopped, started, tick: (ms: number) => (clock += ms) };
  }

  test('is outcome_unknown and holds its node until its run window passed; read-only: interrupted', async () => {
    const { store, queue, a, r, stopped, started, tick } = heldSetup();
    expect(stopped.map((j) => [j.id, j.status])).toEqual([
      [a.id, 'outcome_unknown'],
      [r.id, 'interrupted'],
    ]);
    expect(store.getJob(a.id)?.reason).toBe(
      'outcome_unknown: RUNE stopped while noop ran on web-1; it may still be running there or have ended; ' +
        "web-1 stays locked until 2026-12-03T10:01:00.000Z (the run's timeout and kill grace) unless an operator " +
        'releases it',
    );
    const b = (store.createJobs([newJob({ mutating: true })]).jobs as [Job])[0];
    queue.resume();
    queue.add([b]);
    for (let i = 0; i < 5; i++) await new Promise((res) => setImmediate(res));
    expect([started, store.getJob(b.id)?.status]).toEqual([[], 'queued']); // web-1 is held
    tick(60_000); // past a's run window
    queue.add([]);
    await waitFor(() => store.getJob(b.id)?.status === 'succeeded', 'b to run once the hold ended');
    expect(started).toEqual([b.id]);
    expect(await queue.stop(1000)).toBe(true);
  });

  test('an operator release lets the next mutating job start at once', async () => {
    const { store, queue, a, started } = heldSetup();
    const b = (store.createJobs([newJob({ mutating: true })]).jobs as [Job])[0];
    queue.resume();
    queue.add([b]);
    for (let i = 0; i < 5; i++) await new Promise((res) => setImmediate(res));
    expect(started).toEqual([]);
    expect(store.releaseHeldNode(a.id)).toBe(true);
    queue.releaseHeld(a.id);
    await waitFor(() => store.getJob(b.id)?.status === 'succeeded', 'b to run once released');
    expect(store.releaseHeldNode(a.id)).toBe(false); // nothing left to release
    expect(await queue.stop(1000)).toBe(true);
  });
});
