#!/usr/bin/env node
'use strict';
/**
 * bench/ha: ingest and an alert storm into `rune serve --dry-run` on SQLite (the baseline), on
 * PostgreSQL with one replica, and on PostgreSQL with three replicas, in one run, as ratios.
 *
 *   npm run build && node bench/ha/run.js [--duration 10] [--connections 16] [--repeat 2]
 *
 * - PostgreSQL: a throw-away cluster from Debian's packages on 127.0.0.1 (bench/lib/postgres.js);
 *   one fresh database per measurement. RUNE: real `rune serve --dry-run` processes (dist/), rules
 *   of bench/storm/storm-workload.js.
 * - ingest: closed loop, `--connections` requests in flight, every notification new (no re-sends),
 *   spread round robin over the replicas (a load balancer in front).
 * - storm: the storm workload (80% byte-identical re-sends, flapping alerts), every notification
 *   delivered to **every** replica (an Alertmanager HA pair: each member sends it), closed loop.
 *   Counted per notification (not per delivery). Afterwards the database must hold exactly one
 *   job per firing episode (checked; a doubled episode makes the run fail).
 * - Each configuration is measured `--repeat` times, alternating; medians are printed, and each
 *   figure's ratio to SQLite's in the same run (the machine is shared and noisy).
 * Exit 0 once measured; 1 when an exactly-once check failed; 2 on a setup failure.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { generateStorm, rulesYaml } = require('../storm/storm-workload');
const { startPostgresCluster, PG_PASSWORD } = require('../lib/postgres');
const { loadavg, nproc, log, median, pct, parseOptions } = require('../lib/common');

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const TOKEN = 'bench-ha-token-0123456789';

function usage(code, msg) {
  if (msg) process.stderr.write(`bench/ha: ${msg}\n`);
  (code ? process.stderr : process.stdout).write(`usage: node bench/ha/run.js [options]
  --duration SEC     length of each measurement (default 10)
  --connections C    requests in flight (default 16)
  --repeat N         measurements of each configuration (default 2)
  --json             also print a JSON summary on the last line
Needs dist/ (npm run build) and PostgreSQL (scripts/install-test-deps.sh). Listens on 127.0.0.1 only.
`);
  process.exit(code);
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** One `rune serve --dry-run`; resolves once it says it is serving. */
async function serve(dir, db, password) {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    RUNE_WEBHOOK_TOKEN: TOKEN,
    RUNE_CONFIG: path.join(dir, 'rules.yaml'),
    RUNE_DB: db,
    RUNE_SSH_USER: 'bench',
    ...(password ? { RUNE_DB_PASSWORD: password } : {}),
  };
  const args = ['--max-semi-space-size=2', MAIN, 'serve', '--dry-run', '--listen', `127.0.0.1:${port}`];
  const child = spawn(
    process.execPath,
    ['-e', `require(${JSON.stringify(MAIN)}).main(process.argv.slice(1))`, ...args.slice(2)],
    {
      cwd: dir,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rune serve did not start in 60 s:\n${err}`)), 60_000);
    child.stderr.on('data', (c) => {
      err = (err + c.toString()).slice(-4000);
      if (err.includes('serving on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`rune serve exited (${code}):\n${err}`));
    });
  });
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

function post(agent, port, body) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: '/webhooks/alertmanager',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${TOKEN}`,
          'content-length': body.length,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
      },
    );
    req.on('error', () => resolve({ status: 0, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    req.end(body);
  });
}

/** Closed loop for `seconds`: each worker sends the next notification to `targets(i)` and waits. */
async function closedLoop(bodies, targets, o) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections * 3 });
  const latencies = [];
  let next = 0;
  let failed = 0;
  const deadline = Date.now() + o.duration * 1000;
  const t0 = process.hrtime.bigint();
  const worker = async () => {
    while (Date.now() < deadline && next < bodies.length) {
      const i = next++;
      const answers = await Promise.all(targets(i).map((port) => post(agent, port, bodies[i])));
      failed += answers.some((a) => a.status !== 202) ? 1 : 0;
      latencies.push(Math.max(...answers.map((a) => a.ms)));
    }
  };
  await Promise.all(Array.from({ length: o.connections }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    sent: latencies.length,
    rate: latencies.length / seconds,
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
    failed,
  };
}

async function main() {
  const o = parseOptions(
    process.argv.slice(2),
    {
      defaults: { duration: 10, connections: 16, repeat: 2, json: false },
      flags: { '--json': 'json' },
      numbers: { '--duration': 'duration', '--connections': 'connections', '--repeat': 'repeat' },
      ints: ['connections', 'repeat'],
      values: {},
    },
    usage,
  );
  if (!fs.existsSync(MAIN)) usage(2, 'dist/ is missing: run npm run build first');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rune-bench-ha-'));
  fs.writeFileSync(path.join(scratch, 'rules.yaml'), rulesYaml());
  const pgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rune-bench-ha-pg-'));
  const pg = startPostgresCluster(pgDir, await freePort());
  const running = new Set();
  let exit = 0;
  try {
    log(`bench/ha: ${nproc()} cores, load ${loadavg()}, ${o.duration} s per measurement, ${o.connections} in flight`);
    // Enough distinct notifications for the fastest configuration.
    const fresh = generateStorm({ seed: 7, notifications: 40_000, duplicates: 0, flap: 0 }).notifications.map(
      (n) => n.body,
    );
    const storm = generateStorm({ seed: 11, notifications: 40_000, duplicates: 0.8 });
    const configs = [
      { name: 'sqlite, 1 replica', replicas: 1, pg: false },
      { name: 'postgres, 1 replica', replicas: 1, pg: true },
      { name: 'postgres, 3 replicas', replicas: 3, pg: true },
    ];
    const results = { ingest: {}, storm: {} };
    for (let r = 0; r < o.repeat; r++) {
      for (const c of r % 2 === 0 ? configs : [...configs].reverse()) {
        for (const kind of ['ingest', 'storm']) {
          let db;
          if (c.pg) db = pg.url(pg.createDatabase('bench'));
          else db = path.join(scratch, `rune-${r}-${kind}.db`);
          const servers = [];
          for (let i = 0; i < c.replicas; i++) {
            const s = await serve(scratch, db, c.pg ? PG_PASSWORD : null);
            running.add(s);
            servers.push(s);
          }
          const ports = servers.map((s) => s.port);
          const m =
            kind === 'ingest'
              ? await closedLoop(fresh, (i) => [ports[i % ports.length]], o)
              : await closedLoop(
                  storm.notifications.map((n) => n.body),
                  () => ports,
                  o,
                );
          for (const s of servers) {
            await s.stop();
            running.delete(s);
          }
          if (kind === 'storm' && c.pg) {
            const doubled = pg.psql(
              'SELECT count(*) FROM (SELECT rule, alert_episode FROM jobs WHERE alert_episode IS NOT NULL ' +
                'GROUP BY rule, alert_episode HAVING count(*) > 1) d',
              db.split('/').pop(),
            );
            m.doubled = Number(doubled);
            if (m.doubled !== 0) exit = 1;
          }
          (results[kind][c.name] ??= []).push(m);
          log(
            `  ${kind.padEnd(6)} ${c.name.padEnd(22)} ${m.rate.toFixed(0).padStart(6)} notifications/s  ` +
              `p50 ${m.p50.toFixed(1)} ms  p99 ${m.p99.toFixed(1)} ms  failed ${m.failed}` +
              (m.doubled !== undefined ? `  doubled episodes ${m.doubled}` : ''),
          );
        }
      }
    }
    log('\nmedians, and ratios to SQLite measured in the same run:');
    const summary = {};
    for (const kind of ['ingest', 'storm']) {
      const base = median(results[kind]['sqlite, 1 replica'].map((m) => m.rate));
      for (const c of configs) {
        const rate = median(results[kind][c.name].map((m) => m.rate));
        const p99 = median(results[kind][c.name].map((m) => m.p99));
        summary[`${kind} ${c.name}`] = { rate, p99, ratio: rate / base };
        log(
          `  ${kind.padEnd(6)} ${c.name.padEnd(22)} ${rate.toFixed(0).padStart(6)}/s  ` +
            `p99 ${p99.toFixed(1)} ms  ratio ${(rate / base).toFixed(2)}`,
        );
      }
    }
    if (o.json) log(JSON.stringify(summary));
  } finally {
    for (const s of running) await s.stop();
    pg.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.rmSync(pgDir, { recursive: true, force: true });
  }
  process.exit(exit);
}

main().catch((err) => {
  process.stderr.write(`bench/ha: ${err.stack || err}\n`);
  process.exit(2);
});
