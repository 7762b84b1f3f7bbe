#!/usr/bin/env node
'use strict';
/**
 * bench/storm: an Alertmanager storm into `rune serve --dry-run`, checked for exactly-once.
 *
 *   npm run build && node bench/storm/run.js [--rate 1000] [--duration 30] [--check]
 *
 * - Workload (storm-workload.js, seeded, the same generator as test/scenarios/exactly-once.test.ts):
 *   rate × duration notifications of 1–10 alerts from a pool of 200 alerts in 20 groups, 80% of
 *   them byte-identical re-sends of earlier ones, alerts flapping (firing → resolved → firing with
 *   a new startsAt = a new episode). Built before the run, with its ground truth.
 * - RUNE: bench/ingest/rune-server.js (startServer() from dist/, wired as `rune serve --dry-run`,
 *   SQLite on disk), in its own process, with storm-workload's rules (one `on: firing` rule and one
 *   `on: resolved` rule, each a noop, on the inventory glob storm-*). Its queue runs the dry-run
 *   jobs while it ingests; what is still queued at the end is left, not waited for.
 * - Load: open loop, notification i due at t0 + i/rate whatever happened before, latency from that
 *   scheduled time (no coordinated omission); answers still missing `--grace` s after the last was
 *   due are abandoned (counted unanswered). node:http, one keep-alive agent.
 * - Memory: the RUNE child's VmRSS sampled from /proc/<pid>/status every 100 ms, and its VmHWM
 *   (kernel-tracked peak) at the end. Target: peak RSS < 150 MB.
 * - Afterwards RUNE is stopped and its database read (read-only): one job per (rule, episode),
 *   nothing missing, nothing twice, every 202 answer names one stored job per alert it carried.
 * Exit: 0 once measured (2 on a setup failure, 3 at the time limit); with --check 1 when the
 * exactly-once check fails, a request failed or went unanswered, the achieved rate is below 95% of
 * the offered one, or peak RSS ≥ 150 MB.
 */
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const {
  generateStorm,
  rulesYaml,
  checkExactlyOnce,
  JOBS_SQL,
  FIRING_RULE,
  RESOLVED_RULE,
} = require('./storm-workload');

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const { startServerChild } = require('../lib/server-child');
const { loadavg, nproc, log, pct, ms, fileSize, pkgVersion, shippedNodeFlags, parseOptions } = require('../lib/common');
const RUNE_CHILD = path.join(ROOT, 'bench', 'ingest', 'rune-server.js');
const WEBHOOK_PATH = '/webhooks/alertmanager';
const RSS_TARGET_MB = 150;
const RATE_TOLERANCE = 0.95;

// ---------------------------------------------------------------- options

function usage(code, msg) {
  if (msg) process.stderr.write(`bench/storm: ${msg}\n`);
  (code ? process.stderr : process.stdout).write(
    `usage: node bench/storm/run.js [options]
  --rate R           notifications per second, open loop (default 1000)
  --duration SEC     length of the storm (default 30)
  --duplicates F     share of notifications that re-send an earlier one byte for byte (default 0.8)
  --flap F           chance that a picked alert flips firing/resolved (default 0.3)
  --seed N           workload seed (default 1)
  --connections C    most keep-alive connections the load tool opens (default 64)
  --grace SEC        answers still missing SEC after the last notification was due are abandoned (default 5)
  --log MODE         RUNE's logger: file (its pino logger into a scratch file, default) or none
  --concurrency N    RUNE's job queue concurrency (default: rune serve's own)
  --keep             keep the scratch directory (database, rules, log) and print where it is
  --time-limit SEC   abort and clean up after SEC seconds (default 120)
  --node-flags "F"   node flags for the RUNE process (default: those bin/rune starts with, i.e. RUNE
                     as shipped; --node-flags "" for node's plain defaults)
  --json             also print a JSON summary on the last line
  --check            exit 1 when exactly-once fails, a request failed, the rate was not reached or
                     peak RSS ≥ ${RSS_TARGET_MB} MB (default: exit 0 once measured)
Needs dist/ (npm run build). Everything listens on 127.0.0.1 only.
`,
  );
  process.exit(code);
}

function parseArgs(argv) {
  const o = parseOptions(
    argv,
    {
      defaults: {
        rate: 1000,
        duration: 30,
        duplicates: 0.8,
        flap: 0.3,
        seed: 1,
        connections: 64,
        grace: 5,
        log: 'file',
        concurrency: null,
        keep: false,
        timeLimit: 120,
        json: false,
        check: false,
        nodeFlags: null,
      },
      flags: { '--json': 'json', '--check': 'check', '--keep': 'keep' },
      numbers: {
        '--rate': 'rate',
        '--duration': 'duration',
        '--duplicates': 'duplicates',
        '--flap': 'flap',
        '--seed': 'seed',
        '--connections': 'connections',
        '--grace': 'grace',
        '--concurrency': 'concurrency',
        '--time-limit': 'timeLimit',
      },
      ints: ['seed', 'connections', 'concurrency'],
      values: {
        '--log': (v, opts) => {
          if (v !== 'file' && v !== 'none') usage(2, '--log must be file or none');
          opts.log = v;
        },
        '--node-flags': (v, opts) => void (opts.nodeFlags = v.trim().split(/\s+/).filter(Boolean)),
      },
    },
    usage,
  );
  if (o.rate <= 0) usage(2, '--rate must be positive');
  if (o.duration <= 0) usage(2, '--duration must be positive');
  if (o.duplicates >= 1) usage(2, '--duplicates must be below 1');
  if (o.flap > 1) usage(2, '--flap must be at most 1');
  if (o.connections < 1) usage(2, '--connections must be at least 1');
  if (o.concurrency !== null && (o.concurrency < 1 || o.concurrency > 1000))
    usage(2, '--concurrency must be from 1 to 1000');
  if (o.timeLimit < 1) usage(2, '--time-limit must be at least 1');
  if (Math.round(o.rate * o.duration) > 1e6) usage(2, 'more than 1,000,000 notifications: lower --rate or --duration');
  return o;
}

// ---------------------------------------------------------------- helpers (as in bench/ingest/run.js)

const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);

/** VmRSS and VmHWM (peak) of a process, in bytes; null once it is gone. */
function readRss(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(s);
      return m ? Number(m[1]) * 1024 : null;
    };
    return {
      rss: field('VmRSS'),
      hwm: field('VmHWM'),
      anon: field('RssAnon'),
      file: field('RssFile'),
      shmem: field('RssShmem'),
    };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- teardown

const cleanup = { children: new Set(), scratch: null, keep: false, done: false, aborted: false };

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
  if (cleanup.scratch && !cleanup.keep) fs.rmSync(cleanup.scratch, { recursive: true, force: true });
}

function abort(msg, code) {
  cleanup.aborted = true;
  process.stderr.write(`\nbench/storm: ${msg}; cleaning up\n`);
  teardown();
  process.exit(code);
}

// ---------------------------------------------------------------- the RUNE child

/** Forks bench/ingest/rune-server.js (bench/lib/server-child.js); resolves once it listens. */
const startRune = (args, env, execArgv) => startServerChild('RUNE', RUNE_CHILD, args, env, cleanup.children, execArgv);

// ---------------------------------------------------------------- load

/** One POST; resolves (never rejects) to {status, body} or {status: 0, error}. */
function send(agent, port, headers, body, pending) {
  return new Promise((resolve) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: WEBHOOK_PATH,
        method: 'POST',
        headers: { ...headers, 'content-length': body.length },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode, body: Buffer.concat(chunks) }));
        res.on('error', (e) => done({ status: 0, error: e.code || e.message }));
      },
    );
    const done = (r) => {
      pending.delete(req);
      resolve(r);
    };
    pending.add(req);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout after 10 s')));
    req.on('error', (e) => done({ status: 0, error: e.message || e.code }));
    req.end(body);
  });
}

const ABANDONED = 'unanswered at the deadline';

/**
 * Open loop over the storm: notification i is due at t0 + i/rate; its latency runs from that due
 * time. answers[i]: the parsed 202 body plus status, {status} for other answers, null if abandoned.
 */
function openLoop(storm, rate, port, headers, connections, graceMs) {
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: connections,
    maxFreeSockets: connections,
    scheduling: 'fifo',
  });
  const n = storm.notifications.length;
  const interval = 1000 / rate;
  const answers = new Array(n).fill(null);
  const lat = [];
  const lag = [];
  const statuses = {};
  let errorSample = null;
  let lastAnswer = 0;
  let maxInflight = 0;
  const pending = new Set();
  const perSecond = []; // by the second a notification was due: [answered, max latency ms]
  return new Promise((resolve) => {
    const t0 = performance.now() + 5;
    let i = 0;
    let inflight = 0;
    let deadline = null;
    let resolved = false;
    const maybeDone = () => {
      if (resolved || i < n || inflight > 0) return;
      resolved = true;
      if (deadline) clearTimeout(deadline);
      agent.destroy();
      resolve({ t0, answers, lat, lag, statuses, errorSample, lastAnswer, maxInflight, scheduled: n, perSecond });
    };
    const fire = (k, due) => {
      inflight++;
      if (inflight > maxInflight) maxInflight = inflight;
      lag.push(performance.now() - due);
      send(agent, port, headers, storm.notifications[k].body, pending).then((r) => {
        const end = performance.now();
        inflight--;
        const sec = Math.floor((due - t0) / 1000);
        const b = (perSecond[sec] ??= [0, 0]);
        b[0]++;
        b[1] = Math.max(b[1], r.error === ABANDONED ? Infinity : end - due);
        if (r.status === 202) {
          lat.push(end - due);
          lastAnswer = Math.max(lastAnswer, end);
          try {
            answers[k] = { ...JSON.parse(r.body.toString('utf8')), status: 202 };
          } catch {
            answers[k] = { status: 202, jobs: [], duplicates: [], problems: ['unparsable 202 answer'] };
          }
        } else if (r.error === ABANDONED) {
          lat.push(Infinity);
        } else {
          answers[k] = { status: r.status };
          lat.push(end - due);
          const key = r.status === 0 ? r.error : String(r.status);
          statuses[key] = (statuses[key] || 0) + 1;
          if (!errorSample)
            errorSample = r.status === 0 ? r.error : `${r.status} ${r.body.toString('utf8').slice(0, 200)}`;
        }
        maybeDone();
      });
    };
    const tick = () => {
      if (cleanup.aborted) return;
      const now = performance.now();
      while (i < n && t0 + i * interval <= now) {
        fire(i, t0 + i * interval);
        i++;
      }
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
      `bench/storm: ${path.relative(process.cwd(), DIST) || DIST}/ ` +
        `is missing or incomplete (${missing.join(', ')}).\nBuild first: cd ${ROOT} && npm run build\n`,
    );
    process.exit(2);
  }
  if (!fs.existsSync('/proc/self/status')) {
    process.stderr.write('bench/storm: needs /proc (Linux) to read the RUNE process RSS\n');
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
      `Linux ${os.release()}, ${mb(os.totalmem())} MB RAM`,
  );
  log(
    `software: node ${process.version}, express ${pkgVersion('express')}, ` +
      `better-sqlite3 ${pkgVersion('better-sqlite3')}, pino ${pkgVersion('pino')}`,
  );
  const nodeFlags = opts.nodeFlags ?? shippedNodeFlags();
  log(
    `RUNE node flags: ${nodeFlags.length ? nodeFlags.join(' ') : '(none: node defaults)'}` +
      `${opts.nodeFlags === null ? ' (as bin/rune starts it)' : ''}`,
  );

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rune-bench-storm-'));
  cleanup.scratch = scratch;
  cleanup.keep = opts.keep;
  const rulesPath = path.join(scratch, 'rules.yaml');
  const rulesText = rulesYaml();
  fs.writeFileSync(rulesPath, rulesText);
  const checked = validateConfig(rulesText, rulesPath);
  if (!checked.value) throw new Error(`generated ${rulesPath} is invalid: ${JSON.stringify(checked.errors)}`);

  const count = Math.max(1, Math.round(opts.rate * opts.duration));
  const g0 = performance.now();
  const storm = generateStorm({ seed: opts.seed, notifications: count, duplicates: opts.duplicates, flap: opts.flap });
  const st = storm.stats;
  log(
    `workload (seed ${opts.seed}, built in ${((performance.now() - g0) / 1000).toFixed(1)} s): ` +
      `${st.notifications} notifications at ${opts.rate}/s for ${opts.duration} s, ` +
      `${st.resends} (${((100 * st.resends) / st.notifications).toFixed(1)}%) byte-identical re-sends, ` +
      `${st.alerts} alerts (${(st.alerts / st.notifications).toFixed(2)} a notification, ` +
      `${(st.bodyBytes / st.notifications / 1024).toFixed(1)} KB a body on average); ` +
      `ground truth ${st.firingEpisodes} firing + ${st.resolvedEpisodes} resolved episodes = ` +
      `${st.firingEpisodes + st.resolvedEpisodes} jobs expected`,
  );

  const token = randomBytes(24).toString('hex');
  const dbPath = path.join(scratch, 'rune.db');
  const logPath = path.join(scratch, 'rune.log');
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
  const rune = await startRune(args, { BENCH_TOKEN: token }, nodeFlags);
  log(
    `RUNE: pid ${rune.pid}, port ${rune.port}, startServer() from dist/ via bench/ingest/rune-server.js, ` +
      `--dry-run, SQLite on disk (WAL), queue concurrency ${rune.info.concurrency}, ` +
      `rules ${FIRING_RULE} (on: firing) and ${RESOLVED_RULE} (on: resolved) → noop on {{ labels.nodename }}, ` +
      `logger: ${opts.log === 'file' ? "RUNE's pino logger into a scratch file" : 'none'}`,
  );
  log(`scratch: ${scratch}${opts.keep ? ' (kept)' : ''}`);

  // RSS: VmRSS every 100 ms, VmHWM (the kernel's peak) at the end.
  const idle = readRss(rune.pid);
  let peakSampled = idle ? idle.rss : 0;
  let peakSample = idle; // the sample with the highest VmRSS, for its anon/file/shmem split
  let lastHwm = idle ? idle.hwm : 0;
  const rssTimeline = []; // [ms since the sampler started, VmRSS bytes]
  const s0 = performance.now();
  const sampler = setInterval(() => {
    const r = readRss(rune.pid);
    if (r) {
      rssTimeline.push([Math.round(performance.now() - s0), r.rss]);
      if (r.rss > peakSampled) peakSample = r;
      peakSampled = Math.max(peakSampled, r.rss);
      lastHwm = Math.max(lastHwm, r.hwm);
    }
  }, 100);

  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  log('');
  log(
    `storm: open loop, ${opts.rate} notifications/s for ${opts.duration} s, ` +
      `at most ${opts.connections} connections, latency from each notification's scheduled send time …`,
  );
  const cpu0 = (await rune.cpu()).s;
  const load0 = process.cpuUsage();
  const r = await openLoop(storm, opts.rate, rune.port, headers, opts.connections, opts.grace * 1000);
  const loadCpu = process.cpuUsage(load0);
  const runeCpuS = (await rune.cpu()).s - cpu0;
  const end = readRss(rune.pid);
  clearInterval(sampler);
  if (end) {
    peakSampled = Math.max(peakSampled, end.rss);
    lastHwm = Math.max(lastHwm, end.hwm);
  }
  await rune.stop();

  const sorted = Float64Array.from(r.lat).sort();
  const lagSorted = Float64Array.from(r.lag).sort();
  const ok = r.answers.filter((a) => a && a.status === 202).length;
  const wallMs = (r.lastAnswer || performance.now()) - r.t0;
  const achieved = ok / (wallMs / 1000);
  const offeredMs = (r.scheduled - 1) * (1000 / opts.rate);

  // What RUNE stored, read-only, after it stopped.
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  const jobs = db.prepare(JOBS_SQL).all();
  const byStatus = Object.fromEntries(
    db
      .prepare('SELECT status, count(*) AS n FROM jobs GROUP BY status')
      .all()
      .map((x) => [x.status, x.n]),
  );
  const dryRun = db.prepare("SELECT count(*) AS n FROM jobs WHERE json_extract(request, '$.dryRun') = 1").get().n;
  const dedupKeys = db.prepare('SELECT count(*) AS n FROM dedup').get().n;
  const audit = db.prepare('SELECT count(*) AS n FROM audit').get().n;
  db.close();
  const dbBytes = fileSize(dbPath) + fileSize(`${dbPath}-wal`);
  const verdict = checkExactlyOnce({
    notifications: storm.notifications,
    truth: storm.truth,
    answers: r.answers,
    jobs,
  });

  const peak = Math.max(lastHwm, peakSampled);
  const rssMet = peak < RSS_TARGET_MB * 1024 * 1024;
  const rateMet = achieved >= RATE_TOLERANCE * opts.rate && verdict.unanswered === 0;
  const p50 = pct(sorted, 0.5);
  const p99 = pct(sorted, 0.99);
  const max = sorted.length ? sorted[sorted.length - 1] : NaN;

  log(
    `  sent ${r.scheduled} in ${(offeredMs / 1000).toFixed(1)} s; answered 202: ${ok}, errors: ${verdict.errors}` +
      `${verdict.errors ? ` ${JSON.stringify(r.statuses)} e.g. ${r.errorSample}` : ''}, ` +
      `unanswered ${opts.grace} s after the schedule: ${verdict.unanswered}`,
  );
  log(
    `  achieved rate: ${achieved.toFixed(0)} notifications/s ` +
      `(${((achieved * st.alerts) / st.notifications).toFixed(0)} alerts/s) of ${opts.rate} offered: ` +
      `${rateMet ? 'kept up' : 'DID NOT KEEP UP'}`,
  );
  log(
    `  ack latency from the scheduled send time: p50 ${ms(p50)} ms, p99 ${ms(p99)} ms, max ${ms(max)} ms ` +
      `(send lag p99 ${ms(pct(lagSorted, 0.99))} ms; at most ${r.maxInflight} in flight)`,
  );
  const peakSplit =
    peakSample && peakSample.anon !== null
      ? ` = ${mb(peakSample.anon)} anon + ${mb(peakSample.file)} file + ${mb(peakSample.shmem)} shmem`
      : '';
  log(
    `  RUNE RSS: ${idle ? mb(idle.rss) : '?'} MB idle before the storm, peak ${mb(peak)} MB ` +
      `(VmHWM ${mb(lastHwm)}, highest 100 ms sample ${mb(peakSampled)}${peakSplit}); ` +
      `target < ${RSS_TARGET_MB} MB: ${rssMet ? 'met' : 'MISSED'}`,
  );
  log(
    `  CPU: RUNE ${runeCpuS.toFixed(1)} s (${((100 * runeCpuS) / (wallMs / 1000)).toFixed(0)}% of a core), ` +
      `load tool ${((loadCpu.user + loadCpu.system) / 1e6).toFixed(1)} s`,
  );
  // Per second of the schedule: the slowest answer of the notifications due then, and RUNE's RSS at its end.
  const timeline = r.perSecond.map((b, sec) => {
    const at = r.t0 - s0 + (sec + 1) * 1000;
    const sample = rssTimeline.filter(([t]) => t <= at).pop();
    return {
      second: sec,
      answered: b ? b[0] : 0,
      maxMs: b ? b[1] : null,
      rssMb: sample ? Number(mb(sample[1])) : null,
    };
  });
  log(`  per second, slowest ack ms / RSS MB: ${timeline.map((t) => `${ms(t.maxMs)}/${t.rssMb ?? '?'}`).join(' ')}`);
  log('');
  log(
    `stored: ${verdict.jobs} jobs (${Object.entries(byStatus)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}; dry-run: ${dryRun === verdict.jobs ? 'all' : `ONLY ${dryRun}`}), ` +
      `${verdict.jobsByRule[FIRING_RULE]} ${FIRING_RULE} + ${verdict.jobsByRule[RESOLVED_RULE]} ${RESOLVED_RULE}; ` +
      `${dedupKeys} dedup keys, ${audit} audit records, database + WAL ${mb(dbBytes)} MB`,
  );
  const answeredEpisodes =
    verdict.expectedEpisodes.firing !== verdict.truthEpisodes.firing ||
    verdict.expectedEpisodes.resolved !== verdict.truthEpisodes.resolved
      ? ` (${verdict.expectedEpisodes.firing} + ${verdict.expectedEpisodes.resolved} of them ` +
        'in notifications answered 202)'
      : '';
  log(
    `expected: ${verdict.truthEpisodes.firing} firing + ${verdict.truthEpisodes.resolved} resolved episodes ` +
      `in the storm${answeredEpisodes}`,
  );
  log(
    `answers: ${verdict.alertsAnswered} alerts in 202 answers = ${verdict.newReported} new jobs + ` +
      `${verdict.duplicatesReported} duplicates; ` +
      `answers not naming one stored job per alert: ${verdict.answerMismatches}; ` +
      `job ids reported new twice: ${verdict.reportedNewTwice}`,
  );
  const endStates = Object.entries(verdict.byJobStatus)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  log(
    `job end states: ${endStates}; ` +
      'firing runs cancelled by the resolve of an EARLIER episode of the same alert ' +
      `(a late re-send): ${verdict.staleCancels}` +
      `${verdict.staleCancels ? ` e.g. ${verdict.samples.staleCancels[0]}` : ''}`,
  );
  log(
    `exactly once: ${verdict.ok ? 'YES' : 'NO'}: missing ${verdict.missing}, doubled ${verdict.doubled}, ` +
      `unexpected ${verdict.unexpected}, wrong rule ${verdict.wrongRule}` +
      `${verdict.countMismatch ? ', job count ≠ ground truth' : ''}` +
      `${verdict.ok ? '' : `\n  samples: ${JSON.stringify(verdict.samples).slice(0, 1500)}`}`,
  );
  if (verdict.errors || verdict.unanswered)
    log(
      `WARNING: ${verdict.errors} notifications failed and ${verdict.unanswered} went unanswered: ` +
        'a storm run with errors is not clean',
    );
  log('');
  log(
    `summary: ${achieved.toFixed(0)}/${opts.rate} notifications/s, p50 ${ms(p50)} ms, p99 ${ms(p99)} ms, ` +
      `peak RSS ${mb(peak)} MB (< ${RSS_TARGET_MB} MB ${rssMet ? 'met' : 'MISSED'}), ` +
      `exactly once ${verdict.ok ? 'yes' : 'NO'} ` +
      `(${verdict.jobs} jobs for ${verdict.truthEpisodes.firing + verdict.truthEpisodes.resolved} episodes), ` +
      `${verdict.duplicatesReported} duplicates, ${verdict.errors} errors, ${verdict.unanswered} unanswered; ` +
      `load average at end ${loadavg()}; ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  if (opts.json) {
    const fin = (x) => (Number.isFinite(x) ? x : null);
    log(
      JSON.stringify({
        nproc: nproc(),
        loadavg: os.loadavg(),
        node: process.version,
        node_flags: nodeFlags,
        options: opts,
        workload: st,
        sent: r.scheduled,
        answered: ok,
        errors: verdict.errors,
        statuses: r.statuses,
        unanswered: verdict.unanswered,
        achievedRate: achieved,
        rateMet,
        latencyMs: { p50: fin(p50), p99: fin(p99), max: fin(max), sendLagP99: fin(pct(lagSorted, 0.99)) },
        rssBytes: {
          idle: idle ? idle.rss : null,
          peak,
          peakSample,
          hwm: lastHwm,
          sampledPeak: peakSampled,
          targetMb: RSS_TARGET_MB,
          met: rssMet,
        },
        timeline: timeline.map((t) => ({ ...t, maxMs: fin(t.maxMs) })),
        cpuS: { rune: runeCpuS, loadTool: (loadCpu.user + loadCpu.system) / 1e6 },
        stored: { jobs: verdict.jobs, byStatus, dryRun, dedupKeys, audit, dbBytes },
        exactlyOnce: { ...verdict, samples: undefined },
      }),
    );
  }
  clearTimeout(timer);
  return opts.check && (!verdict.ok || verdict.errors > 0 || !rateMet || !rssMet) ? 1 : 0;
}

main()
  .then((code) => {
    teardown();
    process.exit(code);
  })
  .catch((err) => {
    process.stderr.write(`bench/storm: ${err && err.stack ? err.stack : String(err)}\n`);
    teardown();
    process.exit(2);
  });
