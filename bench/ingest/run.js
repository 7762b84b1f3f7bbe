#!/usr/bin/env node
'use strict';
/**
 * bench/ingest: Alertmanager webhooks into `rune serve --dry-run` vs a durable baseline (and a bare
 * Express app, for information), same load tool, same run.
 *
 *   npm run build && node bench/ingest/run.js [--duration 10] [--connections 32] [--repeat 1]
 *
 * Servers (each in its own child process, so the load tool does not share their event loop):
 *   - RUNE (rune-server.js): startServer() from dist/ with readSettings/readServeSettings, --dry-run
 *     (every job is a RUNE dry run: planned, stored, never sent to a node), SQLite on disk (WAL), a
 *     webhook token, a rules.yaml with one rule (alertname="BenchAlert" → noop on
 *     {{ labels.nodename }}) and a glob inventory node bench-*. Each request creates 10 jobs.
 *   - durable (durable-server.js): Express + better-sqlite3 storing the rows RUNE stores at ingest
 *     (jobs, dedup keys, admitted runs, audit record, webhook history) in RUNE's own schema, with
 *     group commit; the baseline of the target.
 *   - bare (bare-server.js): express.raw({limit: 2mb}) + JSON.parse + 202 {"status":"accepted"}.
 * Payloads: Alertmanager v4 JSON with 10 alerts; every request distinct (fingerprint and startsAt
 * carry a serial) so dedup never short-circuits.
 * Load tool: node:http, one keep-alive Agent per server.
 *   phase 1, closed loop: C connections for D seconds → requests/s, alerts/s, p50/p99/max (all three).
 *   phase 2, open loop: a constant arrival schedule at R = half RUNE's own requests/s of phase 1, for
 *     D seconds, latency from the *scheduled* send time (no coordinated omission), RUNE and durable.
 * RUNE and durable get a fresh process and database for each measurement (after a checked request
 * and a warm-up): the dry-run jobs RUNE stored are run by its queue on the same event loop while it
 * ingests (that is part of what is measured), and whatever is still queued when it stops is left,
 * not waited for. Afterwards each database is read: every answered alert must be a stored job, and
 * the bytes a job costs are broken down by table, index and column (dbstat).
 * Targets (issue #16): RUNE ≥ 0.5 × durable requests/s; RUNE p99 ack < 20 ms at R.
 */
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { summarizeProfile, formatSummary } = require('./profile-summary');

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const { startServerChild } = require('../lib/server-child');
const { loadavg, nproc, log, median, pct, ms, fileSize, pkgVersion, parseOptions } = require('../lib/common');
const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 20;
const WEBHOOK_PATH = '/webhooks/alertmanager';

// ---------------------------------------------------------------- options

function usage(code, msg) {
  if (msg) process.stderr.write(`bench/ingest: ${msg}\n`);
  (code ? process.stderr : process.stdout).write(
    `usage: node bench/ingest/run.js [options]
  --duration SEC     length of each measurement (default 10)
  --connections C    concurrent keep-alive connections of the closed loop, and the most the open
                     loop may use (default 32)
  --repeat N         measurements per server and phase (default 1), alternating (ABBA order)
  --alerts A         alerts per request (default 10, at most 100)
  --rate R           phase 2 arrival rate in requests/s (default: half RUNE's requests/s of phase 1)
  --warmup SEC       closed-loop warm-up per server before measuring, not counted (default 2)
  --log MODE         RUNE's logger: file (its pino logger into a scratch file, default) or none
  --concurrency N    RUNE's job queue concurrency (default: rune serve's own default)
  --grace SEC        open loop: requests still unanswered SEC after the last one was due are
                     abandoned and count as infinitely slow (default 5)
  --profile DIR      CPU-profile RUNE during its first closed-loop measurement (V8 sampling
                     profiler via node:inspector), write DIR/rune-closed.cpuprofile and summarize it
  --time-limit SEC   abort and clean up after SEC seconds (default 180)
  --json             also print a JSON summary on the last line
  --check            exit 1 when a target is missed or a request failed (default: exit 0 once measured)
Needs dist/ (npm run build). Everything listens on 127.0.0.1 only.
`,
  );
  process.exit(code);
}

function parseArgs(argv) {
  const logMode = (v, o) => {
    if (v !== 'file' && v !== 'none') usage(2, '--log must be file or none');
    o.log = v;
  };
  const o = parseOptions(
    argv,
    {
      defaults: {
        duration: 10,
        connections: 32,
        repeat: 1,
        alerts: 10,
        rate: 0,
        warmup: 2,
        log: 'file',
        concurrency: null,
        grace: 5,
        profile: null,
        timeLimit: 180,
        json: false,
        check: false,
      },
      flags: { '--json': 'json', '--check': 'check' },
      numbers: {
        '--duration': 'duration',
        '--connections': 'connections',
        '--repeat': 'repeat',
        '--alerts': 'alerts',
        '--rate': 'rate',
        '--warmup': 'warmup',
        '--concurrency': 'concurrency',
        '--grace': 'grace',
        '--time-limit': 'timeLimit',
      },
      ints: ['connections', 'repeat', 'alerts', 'concurrency'],
      values: { '--log': logMode, '--profile': (v, opts) => void (opts.profile = path.resolve(v)) },
    },
    usage,
  );
  if (o.duration <= 0) usage(2, '--duration must be positive');
  if (o.connections < 1) usage(2, '--connections must be at least 1');
  if (o.repeat < 1) usage(2, '--repeat must be at least 1');
  if (o.alerts < 1 || o.alerts > 100) usage(2, '--alerts must be from 1 to 100');
  if (o.concurrency !== null && (o.concurrency < 1 || o.concurrency > 1000))
    usage(2, '--concurrency must be from 1 to 1000');
  if (o.timeLimit < 1) usage(2, '--time-limit must be at least 1');
  return o;
}

// ---------------------------------------------------------------- helpers

const kb = (n) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} KB`);

/**
 * Where a database's bytes are, per job: each table's and index's pages and payload (the `dbstat`
 * virtual table; payload = the row or key bytes, without page overhead and free space), and the
 * mean size of the jobs table's larger columns.
 */
function storageBreakdown(db) {
  const jobs = db.prepare('SELECT count(*) AS n FROM jobs').get().n;
  const tables = db
    .prepare(
      'SELECT name, sum(pgsize) AS pages, sum(payload) AS payload FROM dbstat ' +
        "WHERE name NOT LIKE 'sqlite_%' OR name LIKE 'sqlite_autoindex_%' GROUP BY name ORDER BY payload DESC",
    )
    .all();
  const cols = [
    'id',
    'trace_id',
    'chain_id',
    'request',
    'trigger_json',
    'alert',
    'alert_episode',
    'result',
    'created_at',
  ];
  const columns = {};
  for (const c of cols)
    columns[c] = db.prepare(`SELECT avg(length(CAST(${c} AS BLOB))) AS n FROM jobs WHERE ${c} IS NOT NULL`).get().n;
  const withResult = db.prepare('SELECT count(*) AS n FROM jobs WHERE result IS NOT NULL').get().n;
  const pages = tables.reduce((a, t) => a + t.pages, 0);
  const payload = tables.reduce((a, t) => a + t.payload, 0);
  return {
    jobs,
    tables,
    columns,
    withResult,
    pagesPerJob: pages / Math.max(1, jobs),
    payloadPerJob: payload / Math.max(1, jobs),
  };
}

// ---------------------------------------------------------------- teardown

const cleanup = { children: new Set(), scratch: null, done: false, aborted: false };

function teardown() {
  if (cleanup.done) return;
  cleanup.done = true;
  for (const child of cleanup.children) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  if (cleanup.scratch) fs.rmSync(cleanup.scratch, { recursive: true, force: true });
}

function abort(msg, code) {
  cleanup.aborted = true;
  process.stderr.write(`\nbench/ingest: ${msg}; cleaning up\n`);
  teardown();
  process.exit(code);
}

// ---------------------------------------------------------------- children

/** Forks a server script (bench/lib/server-child.js); resolves once it listens. */
const startChild = (name, script, args, env) => startServerChild(name, script, args, env, cleanup.children);

// ---------------------------------------------------------------- payloads

/**
 * One Alertmanager v4 notification (the shape of the captured fixtures) with `alerts` alerts, as a
 * byte template: each request gets a copy with its serial stamped into every fingerprint (12 hex
 * digits) and startsAt (7 decimal digits of the nanoseconds), so every alert of every request is a
 * new firing episode. The JSON is built once, before measuring; a request costs one memcpy.
 */
function makeBodies(alerts) {
  const FP = 'QQQQQQQQQQQQ';
  const NS = 'RRRRRRR';
  const payload = {
    receiver: 'rune-bench',
    status: 'firing',
    alerts: Array.from({ length: alerts }, (_, i) => ({
      status: 'firing',
      labels: {
        alertname: 'BenchAlert',
        instance: `10.0.${i}.1:9100`,
        instance_id: `i-0bench${String(i).padStart(12, '0')}`,
        job: 'node',
        nodename: `bench-${i}`,
        severity: 'warning',
      },
      annotations: {
        description: `CPU load is > 80%\n  VALUE = ${80 + (i % 20)}.4`,
        summary: `Host high CPU load (instance 10.0.${i}.1:9100)`,
      },
      startsAt: `2026-11-24T10:00:00.${NS}${String(i).padStart(2, '0')}Z`,
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL:
        'http://prometheus.example.internal:9090/graph?g0.expr=100+-+%28avg+by+%28instance%29+%28rate%28node_cpu_seconds_total%7Bmode%3D%22idle%22%7D%5B2m%5D%29%29+%2A+100%29+%3E+80&g0.tab=1',
      fingerprint: `${FP}${i.toString(16).padStart(4, '0')}`,
    })),
    groupLabels: { alertname: 'BenchAlert' },
    commonLabels: { alertname: 'BenchAlert', job: 'node', severity: 'warning' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example.internal:9093',
    version: '4',
    groupKey: '{}/{}:{alertname="BenchAlert"}',
    truncatedAlerts: 0,
  };
  const template = Buffer.from(JSON.stringify(payload), 'utf8');
  const offsets = (needle) => {
    const out = [];
    for (let at = template.indexOf(needle); at >= 0; at = template.indexOf(needle, at + needle.length)) out.push(at);
    return out;
  };
  const fp = offsets(FP);
  const ns = offsets(NS);
  if (fp.length !== alerts || ns.length !== alerts)
    throw new Error('payload template: placeholders not found once per alert');
  let serial = 0;
  return {
    alerts,
    bytes: template.length,
    sample: () => JSON.parse(template.toString('utf8')),
    next() {
      serial++;
      if (serial >= 1e7) throw new Error('more than 10^7 requests: the serial no longer fits the template');
      const b = Buffer.allocUnsafe(template.length);
      template.copy(b);
      const hex = serial.toString(16).padStart(12, '0');
      const dec = String(serial).padStart(7, '0');
      for (const o of fp) b.write(hex, o, 'latin1');
      for (const o of ns) b.write(dec, o, 'latin1');
      return b;
    },
    sent: () => serial,
  };
}

// ---------------------------------------------------------------- load tool

function makeTarget(server, token, connections, kind) {
  return {
    kind,
    name: { rune: 'RUNE', durable: 'durable', bare: 'bare' }[kind],
    server,
    agent: new http.Agent({
      keepAlive: true,
      maxSockets: connections,
      maxFreeSockets: connections,
      scheduling: 'fifo',
    }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  };
}

/** One POST; resolves (never rejects) to {status, body} or {status: 0, error}. `pending` tracks it until answered. */
function send(target, body, pending) {
  return new Promise((resolve) => {
    const req = http.request(
      {
        agent: target.agent,
        host: '127.0.0.1',
        port: target.server.port,
        path: WEBHOOK_PATH,
        method: 'POST',
        headers: { ...target.headers, 'content-length': body.length },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          done({ status: res.statusCode, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) }),
        );
        res.on('error', (e) => done({ status: 0, error: e.code || e.message }));
      },
    );
    const done = (r) => {
      if (pending) pending.delete(req);
      resolve(r);
    };
    if (pending) pending.add(req);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout after 10 s')));
    req.on('error', (e) => done({ status: 0, error: e.message || e.code }));
    req.end(body);
  });
}

function newTally(alerts) {
  return {
    alerts,
    lat: [],
    lag: [],
    ok: 0,
    errors: 0,
    unanswered: 0,
    statuses: {},
    errorSample: null,
    jobs: 0,
    duplicates: 0,
    oddAnswers: 0,
    last: 0,
  };
}

/** Counts one answer: 202 or an error; for RUNE also the jobs its answer names. */
function tally(t, target, r, latencyMs, endAt) {
  if (r.status === 202) {
    t.ok++;
    t.lat.push(latencyMs);
    t.last = Math.max(t.last, endAt);
    if (target.kind !== 'bare') {
      try {
        const a = JSON.parse(r.body.toString('utf8'));
        t.jobs += a.jobs.length;
        t.duplicates += a.duplicates.length;
        if (a.jobs.length !== t.alerts || a.duplicates.length || a.unmatched || a.problems.length) t.oddAnswers++;
      } catch {
        t.oddAnswers++;
      }
    }
  } else if (r.error === ABANDONED) {
    t.unanswered++;
    t.lat.push(Infinity);
  } else {
    t.errors++;
    const k = r.status === 0 ? r.error : String(r.status);
    t.statuses[k] = (t.statuses[k] || 0) + 1;
    if (!t.errorSample) t.errorSample = r.status === 0 ? r.error : `${r.status} ${String(r.body || '').slice(0, 200)}`;
  }
}

/** Closed loop: `connections` workers, each sends the next request when its answer arrived. */
async function closedLoop(target, bodies, seconds, connections) {
  const t = newTally(bodies.alerts);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const worker = async () => {
    while (!cleanup.aborted && performance.now() < end) {
      const body = bodies.next();
      const s = performance.now();
      const r = await send(target, body);
      const e = performance.now();
      tally(t, target, r, e - s, e);
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return finish(t, t0);
}

const ABANDONED = 'unanswered at the deadline';

/**
 * Open loop: request i is due at t0 + i/rate whatever happened before; its latency is measured from
 * that due time, so time spent waiting for a connection or behind a slow answer counts. Requests
 * still unanswered `graceMs` after the last one was due are abandoned and count as infinitely slow.
 */
function openLoop(target, bodies, seconds, rate, graceMs) {
  const t = newTally(bodies.alerts);
  const n = Math.max(1, Math.round(rate * seconds));
  const interval = 1000 / rate;
  const pending = new Set();
  return new Promise((resolve) => {
    const t0 = performance.now() + 5;
    let i = 0;
    let inflight = 0;
    let deadline = null;
    let resolved = false;
    const maybeDone = () => {
      if (!resolved && i >= n && inflight === 0) {
        resolved = true;
        if (deadline) clearTimeout(deadline);
        const r = finish(t, t0);
        r.scheduled = n;
        r.rate = rate;
        resolve(r);
      }
    };
    const fire = (due) => {
      inflight++;
      const body = bodies.next();
      t.lag.push(performance.now() - due);
      send(target, body, pending).then((r) => {
        const e = performance.now();
        tally(t, target, r, e - due, e);
        inflight--;
        maybeDone();
      });
    };
    const tick = () => {
      if (cleanup.aborted) return;
      const now = performance.now();
      while (i < n && t0 + i * interval <= now) fire(t0 + i++ * interval);
      if (i < n) setTimeout(tick, Math.max(0, t0 + i * interval - performance.now()));
      else {
        deadline = setTimeout(
          () => {
            for (const req of pending) req.destroy(new Error(ABANDONED));
          },
          Math.max(0, t0 + (n - 1) * interval + graceMs - performance.now()),
        );
        maybeDone();
      }
    };
    setTimeout(tick, 5);
  });
}

function finish(t, t0) {
  const wallMs = (t.last || performance.now()) - t0;
  const sorted = Float64Array.from(t.lat).sort();
  const lag = Float64Array.from(t.lag).sort();
  return {
    requests: t.ok,
    errors: t.errors,
    unanswered: t.unanswered,
    statuses: t.statuses,
    errorSample: t.errorSample,
    wallMs,
    rps: t.ok / (wallMs / 1000),
    alertsPerSec: (t.ok * t.alerts) / (wallMs / 1000),
    p50: pct(sorted, 0.5),
    p99: pct(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    sendLagP99: lag.length ? pct(lag, 0.99) : null,
    jobs: t.jobs,
    duplicates: t.duplicates,
    oddAnswers: t.oddAnswers,
  };
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const need = [
    'server/start-server.js',
    'settings/read-settings.js',
    'server/create-logger.js',
    'transports/local-transport.js',
    'config/validate-config.js',
  ];
  const missing = need.filter((f) => !fs.existsSync(path.join(DIST, f)));
  if (missing.length > 0) {
    process.stderr.write(
      `bench/ingest: ${path.relative(process.cwd(), DIST) || DIST}/ ` +
        `is missing or incomplete (${missing.join(', ')}).\nBuild first: cd ${ROOT} && npm run build\n`,
    );
    process.exit(2);
  }
  const Database = require(require.resolve('better-sqlite3', { paths: [ROOT] }));
  const { validateConfig } = require(path.join(DIST, 'config/validate-config.js'));

  const started = performance.now();
  const timer = setTimeout(
    () => abort(`time limit of ${opts.timeLimit}s reached (--time-limit)`, 3),
    opts.timeLimit * 1000,
  );
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));

  log(
    `machine: nproc ${nproc()}, load average ${loadavg()} (1/5/15 min), ${os.cpus()[0]?.model ?? '?'}, ` +
      `Linux ${os.release()}`,
  );
  log(
    `software: node ${process.version}, express ${pkgVersion('express')}, ` +
      `better-sqlite3 ${pkgVersion('better-sqlite3')}, pino ${pkgVersion('pino')}`,
  );

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rune-bench-ingest-'));
  cleanup.scratch = scratch;
  const rulesPath = path.join(scratch, 'rules.yaml');
  const rulesText = [
    '# written by bench/ingest/run.js',
    'defaults:',
    '  transport: local   # never used: rune serve --dry-run contacts no node',
    'nodes:',
    '  - name: "bench-*"',
    'rules:',
    '  - name: bench-ingest',
    '    matchers:',
    '      - alertname="BenchAlert"',
    '    node: "{{ labels.nodename }}"',
    '    steps:',
    '      - action: noop',
    '',
  ].join('\n');
  fs.writeFileSync(rulesPath, rulesText);
  const checked = validateConfig(rulesText, rulesPath);
  if (!checked.value) throw new Error(`generated ${rulesPath} is invalid: ${JSON.stringify(checked.errors)}`);
  const token = randomBytes(24).toString('hex');
  const bodies = makeBodies(opts.alerts);
  const A = opts.alerts;

  const bare = await startChild('bare Express', path.join(__dirname, 'bare-server.js'), [], {});
  const bareTarget = makeTarget(bare, token, opts.connections, 'bare');
  log(
    `settings: ${A} alerts per request (${kb(bodies.bytes)} body, every alert a new fingerprint and startsAt), ` +
      `${opts.connections} connections, ${opts.duration} s per measurement, ${opts.repeat} repeat(s), ` +
      `warm-up ${opts.warmup} s before each`,
  );
  log(
    'RUNE: startServer() from dist/ (readSettings + readServeSettings), --dry-run, ' +
      'SQLite on disk (WAL, synchronous=NORMAL), rule bench-ingest → noop on {{ labels.nodename }}, ' +
      `logger: ${opts.log === 'file' ? "RUNE's pino logger into a scratch file" : 'none (discarded)'}; ` +
      'a fresh `rune serve` and database for each measurement ' +
      '(the dry-run jobs it has not run yet are left queued, not waited for)',
  );
  log(`bare: express.raw (2 MB limit) + JSON.parse + 202 {"status":"accepted"}; pid ${bare.pid}, port ${bare.port}`);
  log(`scratch: ${scratch}`);

  /** One measurement with CPU accounting of the server and of the load tool. */
  const measure = async (srv, fn) => {
    const c0 = await srv.cpu();
    const l0 = process.cpuUsage();
    const r = await fn();
    const l = process.cpuUsage(l0);
    const c1 = await srv.cpu();
    r.serverCpuS = c1.s - c0.s;
    r.serverRssMb = c1.rss / 1024 / 1024;
    r.loadToolCpuS = (l.user + l.system) / 1e6;
    return r;
  };

  // The bare server: one check and a warm-up (not counted).
  {
    const pb = await send(bareTarget, bodies.next());
    if (pb.status !== 202) throw new Error(`bare answered ${pb.status} ${String(pb.body || pb.error).slice(0, 300)}`);
    if (opts.warmup > 0) await closedLoop(bareTarget, bodies, opts.warmup, opts.connections);
  }

  /**
   * A RUNE measurement: a fresh `rune serve --dry-run` on a fresh database, one checked request, a
   * warm-up, the measurement, a graceful stop, then what it stored, read from its database.
   */
  const runeRuns = [];
  let profileSummary = null;
  const measureRune = async (label, fn, profile) => {
    const n = runeRuns.length + 1;
    const dbPath = path.join(scratch, `rune-${n}.db`);
    const logPath = path.join(scratch, `rune-${n}.log`);
    const args = [
      '--rules',
      rulesPath,
      '--plugins',
      path.join(ROOT, 'plugins'),
      '--db',
      dbPath,
      '--log',
      opts.log === 'file' ? logPath : 'none',
      ...(opts.concurrency !== null ? ['--concurrency', String(opts.concurrency)] : []),
    ];
    const srv = await startChild(`RUNE #${n}`, path.join(__dirname, 'rune-server.js'), args, { BENCH_TOKEN: token });
    const target = makeTarget(srv, token, opts.connections, 'rune');
    const probe = await send(target, bodies.next());
    if (probe.status !== 202)
      throw new Error(
        `RUNE answered ${probe.status} ${String(probe.body || probe.error).slice(0, 300)}\n` +
          `its stderr: ${srv.stderrTail()}`,
      );
    const a = JSON.parse(probe.body.toString('utf8'));
    if (a.jobs.length !== A)
      throw new Error(
        `RUNE created ${a.jobs.length} jobs for ${A} alerts: ${probe.body.toString('utf8').slice(0, 500)}`,
      );
    let answered = 1;
    if (opts.warmup > 0) answered += (await closedLoop(target, bodies, opts.warmup, opts.connections)).requests;
    if (profile) {
      fs.mkdirSync(opts.profile, { recursive: true });
      await srv.profileStart();
    }
    const r = await measure(srv, () => fn(target));
    if (profile) {
      const file = path.join(opts.profile, 'rune-closed.cpuprofile');
      await srv.profileStop(file);
      profileSummary = { file, summary: summarizeProfile(JSON.parse(fs.readFileSync(file, 'utf8'))) };
    }
    answered += r.requests;
    await srv.stop();
    const dbBytes = fileSize(dbPath);
    const walBytes = fileSize(`${dbPath}-wal`);
    const db = new Database(dbPath, { fileMustExist: true });
    const byStatus = Object.fromEntries(
      db
        .prepare('SELECT status, count(*) AS n FROM jobs GROUP BY status')
        .all()
        .map((x) => [x.status, x.n]),
    );
    const stored = Object.values(byStatus).reduce((x, y) => x + y, 0);
    const dryRun = db.prepare("SELECT count(*) AS n FROM jobs WHERE json_extract(request, '$.dryRun') = 1").get().n;
    const dedupKeys = db.prepare('SELECT count(*) AS n FROM dedup').get().n;
    const audit = db.prepare('SELECT count(*) AS n FROM audit').get().n;
    const space = storageBreakdown(db);
    db.close();
    const logBytes = opts.log === 'file' ? fileSize(logPath) : 0;
    const logLines = logBytes > 0 ? fs.readFileSync(logPath, 'utf8').split('\n').length - 1 : 0;
    r.rune = {
      instance: n,
      label,
      answered,
      expectedJobs: answered * A,
      stored,
      byStatus,
      dryRun,
      dedupKeys,
      audit,
      dbBytes,
      walBytes,
      space,
      logBytes,
      logLines,
    };
    runeRuns.push(r.rune);
    return r;
  };

  /**
   * A durable-baseline measurement: a fresh durable-server.js on a fresh database (RUNE's schema),
   * one checked request, a warm-up, the measurement, then what it stored.
   */
  const durableRuns = [];
  const measureDurable = async (label, fn) => {
    const n = durableRuns.length + 1;
    const dbPath = path.join(scratch, `durable-${n}.db`);
    const srv = await startChild(`durable #${n}`, path.join(__dirname, 'durable-server.js'), ['--db', dbPath], {
      BENCH_TOKEN: token,
    });
    const target = makeTarget(srv, token, opts.connections, 'durable');
    const probe = await send(target, bodies.next());
    const a = probe.status === 202 ? JSON.parse(probe.body.toString('utf8')) : null;
    if (!a || a.jobs.length !== A)
      throw new Error(`durable answered ${probe.status} ${String(probe.body || probe.error).slice(0, 300)}`);
    let answered = 1;
    if (opts.warmup > 0) answered += (await closedLoop(target, bodies, opts.warmup, opts.connections)).requests;
    const r = await measure(srv, () => fn(target));
    answered += r.requests;
    await srv.stop();
    const db = new Database(dbPath, { fileMustExist: true });
    const stored = db.prepare('SELECT count(*) AS n FROM jobs').get().n;
    const space = storageBreakdown(db);
    db.close();
    r.durable = { instance: n, label, answered, expectedJobs: answered * A, stored, space };
    durableRuns.push(r.durable);
    return r;
  };

  const line = (name, r) =>
    `  ${name.padEnd(7)} ${r.rps.toFixed(0).padStart(6)} req/s ${r.alertsPerSec.toFixed(0).padStart(7)} alerts/s` +
    `   p50 ${ms(r.p50).padStart(5)} ms  p99 ${ms(r.p99).padStart(5)} ms  max ${ms(r.max).padStart(5)} ms` +
    `${r.sendLagP99 !== null ? `  (send lag p99 ${ms(r.sendLagP99)} ms)` : ''}` +
    `   CPU: server ${r.serverCpuS.toFixed(1)} s ` +
    `(${((100 * r.serverCpuS) / (r.wallMs / 1000)).toFixed(0)}% of a core), ` +
    `load tool ${r.loadToolCpuS.toFixed(1)} s` +
    (r.unanswered ? `   ${r.unanswered} of ${r.scheduled} UNANSWERED ${opts.grace} s after the schedule ended` : '') +
    `${r.errors ? `   ERRORS ${r.errors} ${JSON.stringify(r.statuses)} e.g. ${r.errorSample}` : ''}` +
    `${r.oddAnswers ? `   ${r.oddAnswers} answers without ${A} new jobs` : ''}` +
    (r.rune
      ? `\n        (RUNE #${r.rune.instance}: ${r.rune.stored} jobs stored for ${r.rune.answered} answered requests ` +
        `incl. warm-up; ${r.rune.byStatus.succeeded || 0} of them run as dry runs by the time it stopped)`
      : '');

  const res = { closed: { rune: [], durable: [], bare: [] }, open: { rune: [], durable: [] } };
  const sides = ['bare', 'durable', 'rune'];
  const runSide = (kind, phase, fn, profiling = false) =>
    kind === 'rune'
      ? measureRune(phase, fn, profiling)
      : kind === 'durable'
        ? measureDurable(phase, fn)
        : measure(bare, () => fn(bareTarget));

  log('');
  log(`phase 1, closed loop: ${opts.connections} connections, ${opts.duration} s each`);
  for (let rep = 0; rep < opts.repeat; rep++) {
    const order = rep % 2 === 0 ? sides : [...sides].reverse(); // ABBA
    for (const kind of order) {
      const profiling = Boolean(opts.profile) && kind === 'rune' && res.closed.rune.length === 0;
      const r = await runSide(
        kind,
        'closed',
        (target) => closedLoop(target, bodies, opts.duration, opts.connections),
        profiling,
      );
      res.closed[kind].push(r);
      log(
        line(kind === 'rune' ? 'RUNE' : kind, r) +
          (opts.repeat > 1 ? `  [repeat ${rep + 1}]` : '') +
          (profiling ? '  [profiled]' : ''),
      );
    }
  }
  const closedRps = Object.fromEntries(sides.map((k) => [k, median(res.closed[k].map((r) => r.rps))]));
  const ratio = closedRps.rune / closedRps.durable;
  const ratioMet = ratio >= TARGET_RATIO;
  const perRepeat = (a, b) =>
    opts.repeat > 1
      ? `; per repeat ${res.closed[a].map((r, i) => (r.rps / res.closed[b][i].rps).toFixed(2)).join(' ')}`
      : '';
  log(
    `  ratio RUNE/durable requests/s: ${ratio.toFixed(2)} (target ≥ ${TARGET_RATIO}): ${ratioMet ? 'met' : 'MISSED'}` +
      perRepeat('rune', 'durable'),
  );
  log(
    `  for information: RUNE/bare ${(closedRps.rune / closedRps.bare).toFixed(2)}, ` +
      `durable/bare ${(closedRps.durable / closedRps.bare).toFixed(2)}`,
  );

  const rate = opts.rate > 0 ? opts.rate : closedRps.rune / 2;
  log('');
  log(
    `phase 2, open loop: ${rate.toFixed(0)} requests/s ` +
      `(${opts.rate > 0 ? '--rate' : "half RUNE's own closed-loop requests/s"}), constant schedule, ` +
      `${opts.duration} s each, latency from the scheduled send time`,
  );
  const openSides = ['durable', 'rune'];
  for (let rep = 0; rep < opts.repeat; rep++) {
    const order = rep % 2 === 0 ? openSides : [...openSides].reverse();
    for (const kind of order) {
      const r = await runSide(kind, 'open', (target) =>
        openLoop(target, bodies, opts.duration, rate, opts.grace * 1000),
      );
      res.open[kind].push(r);
      log(line(kind === 'rune' ? 'RUNE' : kind, r) + (opts.repeat > 1 ? `  [repeat ${rep + 1}]` : ''));
    }
  }
  const openP99 = {
    rune: median(res.open.rune.map((r) => r.p99)),
    durable: median(res.open.durable.map((r) => r.p99)),
  };
  const p99Met = openP99.rune < TARGET_P99_MS;
  log(
    `  RUNE p99 ack at ${rate.toFixed(0)} req/s: ${ms(openP99.rune)} ms (target < ${TARGET_P99_MS} ms): ` +
      `${p99Met ? 'met' : 'MISSED'}; durable ${ms(openP99.durable)} ms`,
  );
  await bare.stop();

  // Persistence: every answered request left A jobs in the database.
  log('');
  // ≥, not =: a request abandoned by the open loop may still have been stored.
  const lost = runeRuns.filter((x) => x.stored < x.expectedJobs || x.dryRun !== x.stored);
  const lostDurable = durableRuns.filter((x) => x.stored < x.expectedJobs);
  const sum = (k) => runeRuns.reduce((x, y) => x + y[k], 0);
  log(
    `persistence: ${runeRuns.length} RUNE instances stored ${sum('stored')} jobs ` +
      `(all dry-run: ${sum('dryRun') === sum('stored') ? 'yes' : 'NO'}) ` +
      `for ${sum('answered')} answered requests × ${A} = ${sum('expectedJobs')}` +
      (lost.length
        ? `: MISMATCH in instance(s) ${lost.map((x) => x.instance).join(', ')}`
        : ': every answered alert is a stored job') +
      (sum('stored') > sum('expectedJobs')
        ? ` (the ${sum('stored') - sum('expectedJobs')} more are from requests abandoned unanswered)`
        : '') +
      `; ${sum('dedupKeys')} dedup keys, ${sum('audit')} audit records` +
      '; durable: ' +
      (lostDurable.length
        ? `MISMATCH in instance(s) ${lostDurable.map((x) => x.instance).join(', ')}`
        : 'every answered alert stored'),
  );
  for (const x of runeRuns) {
    const statuses = Object.entries(x.byStatus)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
    log(
      `  #${x.instance} (${x.label}): ${x.stored} jobs (${statuses}), ` +
        `database ${kb(x.dbBytes)} + WAL ${kb(x.walBytes)} after close ` +
        `(${x.stored ? ((x.dbBytes + x.walBytes) / x.stored).toFixed(0) : '–'} bytes a job)` +
        `${opts.log === 'file' ? `, log ${kb(x.logBytes)} in ${x.logLines} JSON lines` : ''}`,
    );
  }
  // Bytes per job, from the closed-loop databases (the largest): what they are.
  const spaceLine = (who, sp) => {
    log(
      `  ${who}: ${sp.jobs} jobs; per job ${sp.pagesPerJob.toFixed(0)} bytes of pages ` +
        `(${sp.payloadPerJob.toFixed(0)} bytes of row and key data): ` +
        sp.tables
          .filter((t) => t.payload > 0)
          .map((t) => `${t.name} ${(t.payload / sp.jobs).toFixed(0)}`)
          .join(', '),
    );
    log(
      `    jobs columns, mean bytes: ` +
        Object.entries(sp.columns)
          .map(([k, v]) => `${k} ${v === null ? '–' : v.toFixed(0)}`)
          .join(', ') +
        ` (result: over the ${sp.withResult} jobs run by then)`,
    );
  };
  log('');
  log('bytes stored per job (dbstat: table and index payload, divided by the jobs stored):');
  const rc = runeRuns.find((x) => x.label === 'closed');
  const dc = durableRuns.find((x) => x.label === 'closed');
  if (rc) spaceLine('RUNE', rc.space);
  if (dc) spaceLine('durable', dc.space);
  const all = [...res.closed.rune, ...res.closed.durable, ...res.closed.bare, ...res.open.rune, ...res.open.durable];
  const errors = all.reduce((x, r) => x + r.errors + r.oddAnswers, 0) + lost.length + lostDurable.length;
  const unanswered = all.reduce((x, r) => x + r.unanswered, 0);
  if (errors)
    log(
      `WARNING: ${errors} requests failed or were answered unexpectedly (or jobs are missing); ` +
        'the figures above are not clean',
    );
  if (profileSummary) {
    log('');
    log(`CPU profile of RUNE during its first closed-loop measurement: ${profileSummary.file}`);
    log(formatSummary(profileSummary.summary, 15));
  }
  log('');
  log(
    `summary: RUNE ${closedRps.rune.toFixed(0)} req/s vs durable ${closedRps.durable.toFixed(0)} req/s: ` +
      `ratio ${ratio.toFixed(2)} (≥ ${TARGET_RATIO} ${ratioMet ? 'met' : 'MISSED'}); ` +
      `RUNE p99 at ${rate.toFixed(0)} req/s ${ms(openP99.rune)} ms ` +
      `(< ${TARGET_P99_MS} ms ${p99Met ? 'met' : 'MISSED'})` +
      `${unanswered ? `, ${unanswered} unanswered` : ''}${errors ? `; ${errors} ERRORS` : ''}; ` +
      `load average at end ${loadavg()}; ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  if (opts.json) {
    const strip = (r) =>
      Object.fromEntries(
        Object.entries(r)
          .filter(([k]) => k !== 'errorSample')
          .map(([k, v]) => [k, v === Infinity ? null : v]),
      );
    const fin = (x) => (x === Infinity ? null : x);
    log(
      JSON.stringify({
        nproc: nproc(),
        loadavg: os.loadavg(),
        node: process.version,
        options: { ...opts },
        bodyBytes: bodies.bytes,
        closed: {
          rune: res.closed.rune.map(strip),
          durable: res.closed.durable.map(strip),
          bare: res.closed.bare.map(strip),
          medianRps: closedRps,
          ratio,
          target: TARGET_RATIO,
          met: ratioMet,
        },
        open: {
          rate,
          rune: res.open.rune.map(strip),
          durable: res.open.durable.map(strip),
          medianP99: { rune: fin(openP99.rune), durable: fin(openP99.durable) },
          targetMs: TARGET_P99_MS,
          met: p99Met,
          unanswered,
        },
        persistence: runeRuns,
        durable: durableRuns,
        errors,
        profile: profileSummary
          ? {
              file: profileSummary.file,
              busyMs: profileSummary.summary.busyMs,
              areas: profileSummary.summary.areas.slice(0, 10),
              self: profileSummary.summary.self.slice(0, 15),
              runeInclusive: profileSummary.summary.runeInclusive.slice(0, 15),
            }
          : null,
      }),
    );
  }
  clearTimeout(timer);
  return opts.check && (!ratioMet || !p99Met || errors > 0) ? 1 : 0;
}

main()
  .then((code) => {
    teardown();
    process.exit(code);
  })
  .catch((err) => {
    process.stderr.write(`bench/ingest: ${err && err.stack ? err.stack : String(err)}\n`);
    teardown();
    process.exit(2);
  });
