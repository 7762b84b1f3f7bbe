/**
 * A database written before episode keys held startsAt as the instant (issue #12 item 13): after
 * the upgrade, an episode still firing is a duplicate when it is sent again, and a resolve finds
 * its queued runs, however the sender wrote startsAt.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { NewJob } from '../../../src/core/job';
import type { Alert } from '../../../src/core/types';
import { episodeKey } from '../../../src/jobs/episode-key';
import { skippedResult } from '../../../src/jobs/skipped-result';
import { openSqliteStore } from '../../../src/store/sqlite-store';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';

let dir: string;
beforeEach(() => {
  dir = makeTempDir('migrate-keys');
});
afterEach(() => removeTempDir(dir));

const alert = (fingerprint: string, startsAt: string): Alert => ({
  source: 'alertmanager',
  status: 'firing',
  labels: { alertname: 'A' },
  annotations: {},
  startsAt,
  endsAt: null,
  fingerprint,
});
const job = (id: string, a: Alert): NewJob => ({
  id,
  traceId: 't',
  request: { action: 'noop', node: 'web-1', params: {}, dryRun: true, pluginDryRun: false },
  trigger: { kind: 'alert', source: 'alertmanager', rule: 'r', alert_fingerprint: a.fingerprint },
  alert: a,
  incident: null,
  chainId: id,
  step: 0,
  after: null,
  stopOnFailureOf: true,
  notify: [],
  mutating: true,
  createdAt: '2024-05-01T10:00:01Z',
});

/** What an older RUNE wrote: keys and alert_episode with startsAt as the sender spelled it. */
function writeOldRows(path: string): void {
  const store = openSqliteStore(path);
  store.createJobs([job('j-queued', alert('fp-open', '2024-05-01T12:30:00+02:00'))]);
  store.close();
  const db = new Database(path);
  const raw = (startsAt: string, fp: string) => `${startsAt}\u0000r\u0000firing\u0000${fp}`;
  const put = db.prepare("INSERT INTO dedup (key, job_ids, created_at) VALUES (?, '[]', 'then')");
  put.run(raw('2024-05-01T12:30:00+02:00', 'fp-open'));
  put.run(raw('2024-05-01T10:00:00Z', 'fp-utc')); // what Alertmanager in UTC writes: unchanged
  put.run(raw('2024-05-01T09:00:00Z', 'fp-twice')); // the bug: one episode under two keys
  put.run(raw('2024-05-01T09:00:00.000Z', 'fp-twice'));
  put.run('pagerduty-webhook\u0000W-1');
  db.prepare('UPDATE jobs SET alert_episode = ? WHERE id = ?').run(
    'fp-open\u00002024-05-01T12:30:00+02:00',
    'j-queued',
  );
  db.exec('DROP TABLE IF EXISTS migrations'); // as before the table existed
  db.close();
}

test('old keys are rewritten as instants once: the open episode is a duplicate, its queued run cancellable', () => {
  const path = join(dir, 'rune.db');
  writeOldRows(path);
  const store = openSqliteStore(path);
  try {
    // Alertmanager sends the open episode again, now written in UTC: a duplicate, nothing new runs.
    const again = store.createJobs(
      [job('j-new', alert('fp-open', '2024-05-01T10:30:00Z'))],
      episodeKey('r', alert('fp-open', '2024-05-01T10:30:00Z')),
    );
    expect(again.duplicate).toBe(true);
    const utc = store.createJobs(
      [job('j-utc', alert('fp-utc', '2024-05-01T10:00:00Z'))],
      episodeKey('r', alert('fp-utc', '2024-05-01T10:00:00Z')),
    );
    expect(utc.duplicate).toBe(true);
    // The resolve of the open episode, written another way again, finds the queued run.
    const at = new Date();
    const cancelled = store.cancelQueuedForAlert(
      'fp-open',
      '2024-05-01T05:30:00-05:00',
      'resolved: test',
      at.toISOString(),
      (j) => skippedResult(j, 'resolved: test', at, 'cancelled'),
    );
    expect(cancelled.map((j) => j.id)).toEqual(['j-queued']);
  } finally {
    store.close();
  }
  const db = new Database(path, { readonly: true });
  try {
    expect(db.prepare('SELECT key FROM dedup ORDER BY key').pluck().all()).toEqual([
      '2024-05-01T09:00:00Z\u0000r\u0000firing\u0000fp-twice',
      '2024-05-01T10:00:00Z\u0000r\u0000firing\u0000fp-utc',
      '2024-05-01T10:30:00Z\u0000r\u0000firing\u0000fp-open',
      'pagerduty-webhook\u0000W-1',
    ]);
    expect(db.prepare('SELECT name FROM migrations').pluck().all()).toEqual(['episode-keys-as-instants']);
  } finally {
    db.close();
  }
});
