#!/usr/bin/env node
'use strict';
/**
 * bench/ingest child: the durable baseline. A minimal Express + better-sqlite3 handler that stores,
 * for each Alertmanager notification, the rows RUNE stores at ingest and answers 202 only once they
 * are committed:
 *   - per alert: one job row (the same columns and JSON shapes as RUNE's: request, trigger, the
 *     normalized alert, chain id, alert episode, …), one dedup key (RUNE's episode key: startsAt,
 *     rule, status, fingerprint; a key seen before stores nothing and answers a duplicate), one
 *     admitted run in guard_runs (the windows' count);
 *   - per notification: one audit record and one webhook-history row (the alerts as parsed).
 * Schema, indexes and pragmas are RUNE's own: the database is opened with `openDatabase` from
 * dist/store/sqlite-schema.js (WAL, synchronous=NORMAL), so they cannot drift. Group commit as
 * RUNE's (src/store/create-group-committer.ts): the requests of one event-loop turn share ONE
 * `BEGIN IMMEDIATE` transaction. What it leaves out: rules (one fixed rule, alertname=BenchAlert,
 * node = labels.nodename), templates, plugin registry and params validation, guard decisions beyond
 * recording the run, metrics, logging, and running the jobs (RUNE's queue runs its dry runs on the
 * same event loop; here nothing runs them).
 *
 *   BENCH_TOKEN=… node bench/ingest/durable-server.js --db FILE
 *
 * Listens on 127.0.0.1:0, prints {"port":N} on stdout; IPC {type:'cpu'} and {type:'stop'} as the
 * other servers of bench/ingest.
 */
const { randomBytes, randomUUID, timingSafeEqual } = require('node:crypto');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const express = require(require.resolve('express', { paths: [ROOT] }));
const { openDatabase } = require(path.join(ROOT, 'dist', 'store', 'sqlite-schema.js'));

const i = process.argv.indexOf('--db');
const dbPath = i > 0 ? process.argv[i + 1] : undefined;
if (!dbPath) throw new Error('--db is required');
const token = Buffer.from(`Bearer ${process.env.BENCH_TOKEN || ''}`);
if (!process.env.BENCH_TOKEN) throw new Error('BENCH_TOKEN is not set');

const RULE = 'bench-ingest';
const db = openDatabase(dbPath);
const insertJob = db.prepare(
  `INSERT INTO jobs (id, trace_id, status, action, node, rule, incident_id, alert_episode, chain_id, step, after_id,
     stop_on_failure, mutating, reason, request, trigger_json, alert, incident, notify, result, created_at, finished_at)
   VALUES (@id, @trace_id, 'queued', 'noop', @node, @rule, NULL, @alert_episode, @chain_id, 0, NULL,
     1, 0, NULL, @request, @trigger_json, @alert, NULL, '[]', NULL, @created_at, NULL)`,
);
const getDedup = db.prepare('SELECT job_ids FROM dedup WHERE key = ?');
const putDedup = db.prepare('INSERT INTO dedup (key, job_ids, created_at) VALUES (?, ?, ?)');
const insertRun = db.prepare('INSERT INTO guard_runs (rule, node, chain_id, at_ms) VALUES (?, ?, ?, ?)');
const insertAudit = db.prepare(
  'INSERT INTO audit (at, actor, source, action, target, details) VALUES (?, ?, ?, ?, ?, ?)',
);
const insertWebhook = db.prepare(
  'INSERT INTO webhooks (received_ms, received_at, source, id, alerts) VALUES (?, ?, ?, ?, ?)',
);

/** RUNE's normalized alert (src/sources/alertmanager), as stored in jobs.alert and webhooks.alerts. */
const normalize = (a, groupKey) => ({
  source: 'alertmanager',
  status: a.status === 'resolved' ? 'resolved' : 'firing',
  labels: a.labels,
  annotations: a.annotations ?? {},
  startsAt: a.startsAt,
  endsAt: !a.endsAt || a.endsAt.startsWith('0001-') ? null : a.endsAt,
  fingerprint: a.fingerprint,
  generatorURL: a.generatorURL,
  groupKey,
});

/** One transaction for every request of this turn (BEGIN IMMEDIATE, as RUNE's store). */
const commit = db.transaction((batch) => {
  for (const r of batch) {
    r.jobs = [];
    r.duplicates = [];
    for (const g of r.groups) {
      const seen = getDedup.get(g.key);
      if (seen) {
        r.duplicates.push(...JSON.parse(seen.job_ids));
        continue;
      }
      putDedup.run(g.key, JSON.stringify([g.row.id]), g.row.created_at);
      insertRun.run(RULE, g.row.node, g.row.chain_id, g.atMs);
      insertJob.run(g.row);
      r.jobs.push(g.row.id);
    }
    insertAudit.run(r.at, 'alertmanager', r.ip, 'webhook', r.groupKey, JSON.stringify(r.auditDetails));
    insertWebhook.run(r.atMs, r.at, 'alertmanager', r.groupKey, r.webhookAlerts);
  }
});
let pending = [];
const flush = () => {
  const batch = pending;
  pending = [];
  try {
    commit.immediate(batch);
    for (const r of batch) r.done(null);
  } catch (err) {
    for (const r of batch) r.done(err);
  }
};

const app = express();
app.disable('x-powered-by');
const raw = express.raw({ type: () => true, limit: '2mb' });
app.post('/webhooks/alertmanager', raw, (req, res) => {
  const auth = Buffer.from(req.get('authorization') || '');
  if (auth.length !== token.length || !timingSafeEqual(auth, token)) {
    res.status(401).json({ error: 'unauthorized' });
    return;
  }
  let body;
  try {
    body = JSON.parse(req.body.toString('utf8'));
  } catch {
    res.status(400).json({ error: 'invalid JSON' });
    return;
  }
  if (!body || !Array.isArray(body.alerts)) {
    res.status(400).json({ error: 'no alerts' });
    return;
  }
  const now = Date.now();
  const at = new Date(now).toISOString();
  const groupKey = String(body.groupKey ?? '');
  const alerts = body.alerts.map((a) => normalize(a, groupKey));
  const groups = [];
  let unmatched = 0;
  for (const alert of alerts) {
    if (alert.labels?.alertname !== 'BenchAlert' || alert.status !== 'firing' || !alert.labels.nodename) {
      unmatched++;
      continue;
    }
    const node = alert.labels.nodename;
    const id = randomUUID();
    groups.push({
      key: `${alert.startsAt}\u0000${RULE}\u0000firing\u0000${alert.fingerprint}`,
      atMs: now,
      row: {
        id,
        trace_id: randomBytes(16).toString('hex'),
        node,
        rule: RULE,
        alert_episode: `${alert.fingerprint}\u0000${alert.startsAt}`,
        chain_id: randomUUID(),
        request: JSON.stringify({ action: 'noop', node, params: {}, dryRun: true, pluginDryRun: false }),
        trigger_json: JSON.stringify({
          kind: 'alert',
          source: 'alertmanager',
          rule: RULE,
          alert_fingerprint: alert.fingerprint,
        }),
        alert: JSON.stringify(alert),
        created_at: at,
      },
    });
  }
  const r = {
    groups,
    at,
    atMs: now,
    ip: req.socket.remoteAddress ?? '',
    groupKey,
    auditDetails: { alerts: alerts.length, candidate_jobs: groups.map((g) => g.row.id), unmatched, problems: [] },
    webhookAlerts: JSON.stringify(alerts),
    done: (err) => {
      if (err) res.status(503).json({ error: String(err.message || err) });
      else
        res.status(202).json({ status: 'accepted', jobs: r.jobs, duplicates: r.duplicates, unmatched, problems: [] });
    },
  };
  pending.push(r);
  if (pending.length === 1) setImmediate(flush);
});

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('message', (m) => {
  if (m.type === 'cpu') {
    const u = process.cpuUsage();
    process.send({ type: 'cpu', user: u.user, system: u.system, rss: process.memoryUsage().rss });
  } else if (m.type === 'stop') {
    server.closeAllConnections();
    server.close(() => {
      db.close();
      process.exit(0);
    });
  }
});
process.on('disconnect', () => process.exit(1));
