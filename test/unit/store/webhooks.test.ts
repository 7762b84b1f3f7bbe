/**
 * Webhook notifications are stored for `rune rules replay`: in the transaction of their jobs,
 * read back by the read-only history, and pruned by age and by count in bounded batches.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readServeSettings } from '../../../src/settings/read-settings';
import { openHistory } from '../../../src/store/open-history';
import { pruneWebhooks } from '../../../src/store/prune-webhooks';
import { openSqliteStore } from '../../../src/store/sqlite-store';
import type { NewJob } from '../../../src/core/job';
import type { Store, WebhookRecord } from '../../../src/store/store';
import type { Alert } from '../../../src/core/types';
import { alertmanagerPayload } from '../../helpers/alertmanager-payload';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';
import { startTestServer } from '../../helpers/test-server';

let dir: string;
beforeEach(() => {
  dir = makeTempDir('webhooks');
});
afterEach(() => removeTempDir(dir));

const alert = (fingerprint: string): Alert => ({
  source: 'alertmanager',
  status: 'firing',
  labels: { alertname: 'A', instance: 'web-1:9100' },
  annotations: { summary: 's' },
  startsAt: '2024-05-01T10:00:00Z',
  endsAt: null,
  fingerprint,
});
const job = (id: string): NewJob => ({
  id,
  traceId: 't',
  request: { action: 'noop', node: 'web-1', params: {}, dryRun: true, pluginDryRun: false },
  trigger: { kind: 'alert', source: 'alertmanager', rule: 'r', alert_fingerprint: 'fp' },
  alert: alert('fp'),
  incident: null,
  chainId: id,
  step: 0,
  after: null,
  stopOnFailureOf: true,
  notify: [],
  mutating: true,
  createdAt: '2024-05-01T10:00:01Z',
});
const hook = (at: string, id: string, fps = ['fp']): WebhookRecord => ({
  receivedAt: at,
  source: 'alertmanager',
  id,
  alerts: fps.map(alert),
});

function storedHooks(path: string): { id: string; receivedAt: string; alerts: Alert[] }[] {
  const h = openHistory(path);
  try {
    return [...h.webhooks(0, Number.MAX_SAFE_INTEGER)].map((w) => ({
      id: w.id,
      receivedAt: w.receivedAt,
      alerts: w.alerts,
    }));
  } finally {
    h.close();
  }
}

test('a notification is stored with its alerts in the same transaction as its jobs, and read back read-only', () => {
  const path = join(dir, 'rune.db');
  const store = openSqliteStore(path);
  store.createJobGroups(
    [{ jobs: [job('j1')], dedupKey: 'k1' }],
    [],
    [hook('2024-05-01T10:00:01.000Z', '{}:{alertname="A"}', ['fp', 'fp2'])],
  );
  // A transaction that fails (the job id exists) stores neither its jobs nor its webhook.
  expect(() =>
    store.createJobGroups(
      [{ jobs: [job('j2'), job('j1')], dedupKey: 'k2' }],
      [],
      [hook('2024-05-01T10:00:02.000Z', 'second')],
    ),
  ).toThrow(/UNIQUE/);
  expect(store.getJob('j2')).toBeNull();
  const stored = storedHooks(path);
  expect(stored).toEqual([
    { id: '{}:{alertname="A"}', receivedAt: '2024-05-01T10:00:01.000Z', alerts: [alert('fp'), alert('fp2')] },
  ]);
  // The history reader also finds the jobs of that episode by its dedup key, and only while the store
  // is open elsewhere.
  const h = openHistory(path);
  expect(h.jobsForKey('k1')?.map((j) => j.id)).toEqual(['j1']);
  expect(h.jobsForKey('nope')).toBeNull();
  expect(h.rulesWithJobs()).toEqual(['r']);
  h.close();
  store.close();
});

test('the history is opened read-only: it cannot write, and a missing file is an error, not a new database', () => {
  const path = join(dir, 'rune.db');
  const store = openSqliteStore(path);
  store.createJobGroups([{ jobs: [job('j1')], dedupKey: 'k1' }], [], [hook('2024-05-01T10:00:01.000Z', 'g')]);
  store.close();
  const before = readFileSync(path);
  const h = openHistory(path);
  expect([...h.webhooks(0, Number.MAX_SAFE_INTEGER)]).toHaveLength(1);
  expect(
    h.guardFacts.facts({
      rule: 'r',
      node: 'web-1',
      at: Date.now(),
      windows: { cooldownMs: 1, budgetMs: 1, blastMs: 1 },
    }).runsInBudgetWindow,
  ).toBe(0);
  h.close();
  expect(readFileSync(path).equals(before)).toBe(true);
  expect(() => openHistory(join(dir, 'missing.db'))).toThrow(/cannot open the database .*missing\.db read-only/);
  expect(() => openHistory(join(dir))).toThrow(/cannot open the database/);
});

test('retention by age: notifications older than the window go, oldest first, in batches', () => {
  const path = join(dir, 'rune.db');
  const store: Store = openSqliteStore(path);
  const t0 = Date.parse('2024-05-01T00:00:00Z');
  const at = (min: number) => new Date(t0 + min * 60_000).toISOString();
  for (let i = 0; i < 25; i++) store.createJobGroups([], [], [hook(at(i), `n${i}`)]);
  // Keep 10 minutes, at minute 24: 0..13 are older than minute 14.
  const removed = pruneWebhooks(store, { maxAgeMs: 10 * 60_000, maxCount: 1000 }, t0 + 24 * 60_000, 100, 4);
  expect(removed).toBe(14);
  expect(storedHooks(path).map((w) => w.id)).toEqual(Array.from({ length: 11 }, (_, i) => `n${i + 14}`));
  // Bounded: one batch of 4 at most removes 4.
  expect(pruneWebhooks(store, { maxAgeMs: 60_000, maxCount: 1000 }, t0 + 24 * 60_000, 1, 4)).toBe(4);
  expect(storedHooks(path)).toHaveLength(7);
  store.close();
});

test('retention by count: only the newest N are kept', () => {
  const path = join(dir, 'rune.db');
  const store: Store = openSqliteStore(path);
  const now = Date.parse('2024-05-01T00:00:00Z');
  for (let i = 0; i < 30; i++) store.createJobGroups([], [], [hook(new Date(now - 1000 + i).toISOString(), `n${i}`)]);
  expect(pruneWebhooks(store, { maxAgeMs: 86_400_000, maxCount: 12 }, now, 100, 5)).toBe(18);
  expect(storedHooks(path).map((w) => w.id)).toEqual(Array.from({ length: 12 }, (_, i) => `n${i + 18}`));
  // New ones keep arriving: still the newest 12.
  store.createJobGroups([], [], [hook(new Date(now).toISOString(), 'n30')]);
  pruneWebhooks(store, { maxAgeMs: 86_400_000, maxCount: 12 }, now, 100, 5);
  expect(storedHooks(path).map((w) => w.id)).toEqual(Array.from({ length: 12 }, (_, i) => `n${i + 19}`));
  store.close();
});

test('retention settings: RUNE_WEBHOOK_RETENTION and _COUNT, with defaults and clear errors', () => {
  const read = (env: NodeJS.ProcessEnv) => readServeSettings({}, env, () => '').webhookRetention;
  expect(read({})).toEqual({ maxAgeMs: 7 * 86_400_000, maxCount: 100_000 });
  expect(read({ RUNE_WEBHOOK_RETENTION: '36h', RUNE_WEBHOOK_RETENTION_COUNT: '0' })).toEqual({
    maxAgeMs: 36 * 3_600_000,
    maxCount: 0,
  });
  expect(() => read({ RUNE_WEBHOOK_RETENTION: 'a week' })).toThrow(/RUNE_WEBHOOK_RETENTION must be a duration/);
  expect(() => read({ RUNE_WEBHOOK_RETENTION_COUNT: '-5' })).toThrow(
    /RUNE_WEBHOOK_RETENTION_COUNT must be a whole number/,
  );
});

test('a real server records each notification, prunes at start, none with RUNE_WEBHOOK_RETENTION_COUNT=0', async () => {
  const config = join(dir, 'rules.yaml');
  writeFileSync(
    config,
    'nodes:\n  - {name: web-1, address: 10.0.1.23}\n' +
      'rules:\n  - name: r\n    matchers: [\'alertname="A"\']\n    steps: [{action: noop}]\n',
  );
  const path = join(dir, 'served.db');
  const boot = (extra: Record<string, string>) =>
    startTestServer({
      dir,
      name: 'served',
      dryRun: true,
      env: { RUNE_CONFIG: config, RUNE_DB: path, RUNE_WEBHOOK_TOKEN: 'tok', ...extra },
    });
  const post = async (url: string, fp: string) => {
    const res = await fetch(`${url}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer tok' },
      body: alertmanagerPayload('{}:{alertname="A"}', [
        { labels: { alertname: 'A', instance: '10.0.1.23:9100' }, fingerprint: fp },
      ]),
    });
    expect(res.status).toBe(202);
  };
  let s = await boot({});
  try {
    await post(s.url, 'one');
    await post(s.url, 'two');
  } finally {
    await s.close(5000);
  }
  expect(storedHooks(path).map((w) => w.alerts.map((a) => a.fingerprint))).toEqual([['one'], ['two']]);
  // Restarted with count 0: what was kept is pruned at start, and new notifications are not recorded
  // (their jobs are).
  s = await boot({ RUNE_WEBHOOK_RETENTION_COUNT: '0' });
  try {
    await post(s.url, 'three');
    expect(s.store.listJobs({}).map((j) => j.alert?.fingerprint)).toContain('three');
  } finally {
    await s.close(5000);
  }
  expect(storedHooks(path)).toEqual([]);
});
