#!/usr/bin/env node
'use strict';
/**
 * bench/latency: alert to node and alert to note, with `rune serve` as shipped.
 *
 *   npm run build && node bench/latency/run.js [--rates 1,10,100] [--seconds 10] [--max-alerts 500]
 *
 * - One OpenSSH sshd on loopback (bench/fanout/sshd-fleet.js: 127.0.1.1…127.0.1.N, a throw-away host
 *   key and user key), a local fake PagerDuty REST API on 127.0.0.1 (incident look-up by
 *   incident_key, notes), and `bin/rune serve` (its own process, as shipped: the shebang's node
 *   flags) on 127.0.0.1 with a SQLite file in a scratch folder, one rule (alertname="BenchLatency" →
 *   the plugin `bench-start` on {{ labels.nodename }}, notify: [pagerduty]) and N nodes (--nodes,
 *   default 10), the alerts spread over them in turn.
 * - `bench-start` (written into a scratch plugins folder) prints, as its summary, bash's
 *   $EPOCHREALTIME taken as its first command (a builtin: no process is started to read the clock),
 *   and the fingerprint of its alert. The note RUNE posts carries that summary.
 * - Load: for each rate R (alerts/s), an open loop of one-alert Alertmanager notifications, each a new
 *   firing episode, sent on a constant schedule for --seconds (at most --max-alerts alerts), after a
 *   warm-up of --warmup alerts (not counted: the SSH connection is pooled and warm when measuring).
 * - Per alert: to node = the plugin's $EPOCHREALTIME − the POST's scheduled send time; to note = the
 *   note's arrival at the fake PagerDuty − the same; ack = the 202. p50/p99/max per rate.
 * Same host, same clock (CLOCK_REALTIME on both sides). Everything listens on loopback only; every
 * loop is bounded in count and time (--time-limit). Needs root (sshd) and dist/ (npm run build).
 * Target (issue #16): p50 < 100 ms from the webhook POST to the plugin starting on the node.
 */
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const { ROOT, loadavg, nproc, log, pct, ms, parseOptions } = require('../lib/common');
const { startFleet } = require('../fanout/sshd-fleet');

const RUNE_BIN = path.join(ROOT, 'bin', 'rune');
const TARGET_P50_MS = 100;
const PD_TOKEN = 'bench-pd-token';
const PD_FROM = 'rune-bench@example.com';

function usage(code, msg) {
  if (msg) process.stderr.write(`bench/latency: ${msg}\n`);
  (code ? process.stderr : process.stdout).write(
    `usage: node bench/latency/run.js [options]
  --rates LIST       alerts per second, comma-separated (default 1,10,100)
  --seconds S        length of each rate's schedule (default 10)
  --max-alerts N     at most N alerts per rate (default 500)
  --nodes N          nodes (loopback addresses 127.0.1.1…, one sshd), alerts spread over them in turn
                     (default 10; RUNE pools one connection per node, 8 channels each)
  --warmup N         alerts sent (20 a second) before measuring, not counted; at least one per node
                     (default 10)
  --grace SEC        wait at most SEC after a rate's last alert for its notes (default 20)
  --concurrency N    rune serve --concurrency (default: rune serve's own)
  --time-limit SEC   abort and clean up after SEC seconds (default 240)
  --keep             keep the scratch folder (RUNE's log and database) for a look afterwards
  --json             also print a JSON summary on the last line
  --check            exit 1 when the target (p50 to node < ${TARGET_P50_MS} ms at every rate) is missed
Needs root (it starts sshd) and dist/ (npm run build). Everything listens on loopback only.
`,
  );
  process.exit(code);
}

function parseArgs(argv) {
  const o = parseOptions(
    argv,
    {
      defaults: {
        rates: [1, 10, 100],
        seconds: 10,
        maxAlerts: 500,
        warmup: 10,
        nodes: 10,
        grace: 20,
        concurrency: null,
        timeLimit: 240,
        json: false,
        check: false,
        keep: false,
      },
      flags: { '--json': 'json', '--check': 'check', '--keep': 'keep' },
      numbers: {
        '--seconds': 'seconds',
        '--max-alerts': 'maxAlerts',
        '--warmup': 'warmup',
        '--nodes': 'nodes',
        '--grace': 'grace',
        '--concurrency': 'concurrency',
        '--time-limit': 'timeLimit',
      },
      ints: ['maxAlerts', 'warmup', 'concurrency', 'nodes'],
      values: {
        '--rates': (v, opts) => {
          const rates = v.split(',').map(Number);
          if (rates.length === 0 || rates.some((r) => !Number.isFinite(r) || r <= 0 || r > 1000))
            usage(2, '--rates: positive numbers up to 1000, comma-separated');
          opts.rates = rates;
        },
      },
    },
    usage,
  );
  if (o.seconds <= 0) usage(2, '--seconds must be positive');
  if (o.maxAlerts < 1 || o.maxAlerts > 10_000) usage(2, '--max-alerts must be from 1 to 10000');
  if (o.timeLimit < 1) usage(2, '--time-limit must be at least 1');
  if (o.nodes < 1 || o.nodes > 254) usage(2, '--nodes must be from 1 to 254');
  return o;
}

const nowMs = () => performance.timeOrigin + performance.now(); // wall clock, sub-millisecond

// ---------------------------------------------------------------- teardown

const cleanup = { children: new Set(), servers: new Set(), fleet: null, scratch: null, done: false, aborted: false };

async function teardown() {
  if (cleanup.done) return;
  cleanup.done = true;
  cleanup.aborted = true;
  for (const child of cleanup.children) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const s of cleanup.servers) {
    s.closeAllConnections?.();
    s.close();
  }
  if (cleanup.fleet) await cleanup.fleet.stop();
  if (cleanup.scratch) fs.rmSync(cleanup.scratch, { recursive: true, force: true });
}

function abort(msg, code) {
  process.stderr.write(`\nbench/latency: ${msg}; cleaning up\n`);
  teardown().finally(() => process.exit(code));
}

// ---------------------------------------------------------------- fake PagerDuty

/**
 * The PagerDuty REST calls RUNE makes for a note (docs/protocols.md §3): GET /incidents?incident_key=…
 * finds one incident whatever the key, POST /incidents/{id}/notes records the note and its arrival
 * time. Checks the token; answers 201 with a note id.
 */
function startFakePagerDuty(onNote) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = nowMs();
      const reply = (status, body) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Token token=${PD_TOKEN}`)
        return reply(401, { error: { message: 'Unauthorized', code: 2006 } });
      if (req.method === 'GET' && req.url.startsWith('/incidents?'))
        return reply(200, {
          incidents: [{ id: 'PBENCH1', status: 'triggered', html_url: 'http://pd.invalid/PBENCH1' }],
        });
      const m = /^\/incidents\/([^/]+)\/notes$/.exec(req.url);
      if (req.method === 'POST' && m) {
        let content = '';
        try {
          content = JSON.parse(Buffer.concat(chunks).toString('utf8')).note.content;
        } catch {
          return reply(400, { error: { message: 'bad body', code: 2001 } });
        }
        onNote(content, at);
        return reply(201, { note: { id: `N${at.toFixed(0)}`, content } });
      }
      reply(404, { error: { message: 'Not Found', code: 2100 } });
    });
  });
  cleanup.servers.add(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// ---------------------------------------------------------------- RUNE

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** `bin/rune serve` as a user starts it; resolves once /-/ready answers 200. */
async function startRune({ scratch, fleet, pdPort, token, concurrency }) {
  const port = await freePort();
  const env = {
    ...process.env,
    RUNE_WEBHOOK_TOKEN: token,
    RUNE_SSH_KEY: fleet.userKey,
    RUNE_SSH_KNOWN_HOSTS: fleet.knownHosts,
    RUNE_SSH_USER: fleet.user,
    RUNE_PAGERDUTY_TOKEN: PD_TOKEN,
    RUNE_PAGERDUTY_API_URL: `http://127.0.0.1:${pdPort}`,
  };
  delete env.SSH_AUTH_SOCK;
  const args = [
    'serve',
    '--config',
    path.join(scratch, 'rules.yaml'),
    '--plugins',
    path.join(scratch, 'plugins'),
    '--db',
    path.join(scratch, 'rune.db'),
    '--listen',
    `127.0.0.1:${port}`,
    ...(concurrency !== null ? ['--concurrency', String(concurrency)] : []),
  ];
  const logFile = fs.openSync(path.join(scratch, 'rune.log'), 'w');
  const child = spawn(RUNE_BIN, args, { cwd: scratch, env, stdio: ['ignore', logFile, logFile] });
  fs.closeSync(logFile);
  cleanup.children.add(child);
  child.once('exit', () => cleanup.children.delete(child));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`rune serve exited: ${fs.readFileSync(path.join(scratch, 'rune.log'), 'utf8').slice(-2000)}`);
    const ok = await new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/-/ready' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error('rune serve did not get ready within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

// ---------------------------------------------------------------- load

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const allRecords = new Map();

/** One Alertmanager v4 notification with one new firing alert (fingerprint `fp`). */
function notification(fp, serial, node) {
  return JSON.stringify({
    receiver: 'rune',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'BenchLatency', nodename: node, severity: 'page' },
        annotations: { summary: 'bench/latency' },
        startsAt: new Date(Date.UTC(2026, 0, 1) + serial * 1000).toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.invalid/graph',
        fingerprint: fp,
      },
    ],
    groupLabels: { alertname: 'BenchLatency' },
    commonLabels: { alertname: 'BenchLatency' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.invalid',
    version: '4',
    groupKey: `{}:{alertname="BenchLatency",fp="${fp}"}`,
    truncatedAlerts: 0,
  });
}

function post(port, token, body) {
  return new Promise((resolve) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: '/webhooks/alertmanager',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout after 10 s')));
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.end(body);
  });
}

/**
 * Sends `n` alerts at `rate`/s on a constant schedule; each alert's record gets its scheduled send
 * time, its 202 time, and later (from the note) the plugin's start and the note's arrival.
 */
async function schedule({ rate, n, port, token, records, prefix, nodes }) {
  const interval = 1000 / rate;
  const t0 = nowMs() + 20;
  const sends = [];
  for (let i = 0; i < n && !cleanup.aborted; i++) {
    const due = t0 + i * interval;
    const wait = due - nowMs();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const fp = `${prefix}${String(i).padStart(6, '0')}`;
    const rec = { fp, due, sent: nowMs(), ack: null, status: null, started: null, noted: null };
    records.set(fp, rec);
    allRecords.set(fp, rec); // where a note finds its alert, whichever rate sent it
    sends.push(
      post(
        port,
        token,
        notification(fp, Number.parseInt(prefix.slice(1), 16) * 100_000 + i, nodes[i % nodes.length]),
      ).then((r) => {
        rec.ack = nowMs();
        rec.status = r.status;
        if (r.status !== 202) rec.error = `${r.status} ${r.body.slice(0, 200)}`;
      }),
    );
  }
  await Promise.all(sends);
}

async function waitNotes(records, graceMs) {
  const deadline = nowMs() + graceMs;
  while (nowMs() < deadline && !cleanup.aborted) {
    let missing = 0;
    for (const r of records.values()) if (r.noted === null && r.status === 202) missing++;
    if (missing === 0) return 0;
    await new Promise((r) => setTimeout(r, 50));
  }
  return [...records.values()].filter((r) => r.noted === null).length;
}

const CLK_TCK = 100; // USER_HZ on Linux
/** CPU seconds (user + system) of process `pid` so far, from /proc. */
function procCpu(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return (f[11] + f[12]) / CLK_TCK;
  } catch {
    return NaN;
  }
}

const statsOf = (xs) => {
  const s = Float64Array.from(xs).sort();
  return { n: s.length, p50: pct(s, 0.5), p99: pct(s, 0.99), max: s.length ? s[s.length - 1] : NaN };
};

// ---------------------------------------------------------------- main

const PLUGIN = `#!/usr/bin/env bash
# ---
# name: bench-start
# version: 1.0.0
# description: bench/latency - reports when it started (bash $EPOCHREALTIME) and its alert's fingerprint
# mutating: false
# timeout: 10s
# become: false
# params:
#   type: object
#   additionalProperties: false
# ---
t=$EPOCHREALTIME
IFS= read -r -d '' input || true
fp=none
re='"fingerprint":"([A-Za-z0-9]+)"'
if [[ $input =~ $re ]]; then fp=\${BASH_REMATCH[1]}; fi
printf '{"status":"ok","summary":"bench-start fp=%s started=%s","data":{}}\\n' "$fp" "$t"
`;

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
    process.stderr.write(`bench/latency: dist/ is missing; build first: cd ${ROOT} && npm run build\n`);
    process.exit(2);
  }
  const started = nowMs();
  const timer = setTimeout(
    () => abort(`time limit of ${opts.timeLimit}s reached (--time-limit)`, 3),
    opts.timeLimit * 1000,
  );
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));

  log(
    `machine: nproc ${nproc()}, load average ${loadavg()} (1/5/15 min), ${os.cpus()[0]?.model ?? '?'}, ` +
      `Linux ${os.release()}; node ${process.version}`,
  );
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rune-bench-latency-'));
  if (!opts.keep) cleanup.scratch = scratch;
  const fleet = await startFleet({ dir: scratch, nodes: opts.nodes, log: (s) => log(`setup: ${s}`) });
  const nodes = fleet.addresses.map((_, i) => `bench-${String(i + 1).padStart(3, '0')}`);
  cleanup.fleet = fleet;

  const records = allRecords;
  const onNote = (content, at) => {
    const m = /bench-start fp=([A-Za-z0-9]+) started=(\d+)[.,](\d+)/.exec(content);
    if (!m) return;
    const rec = records.get(m[1]);
    if (!rec) return;
    rec.started = Number(m[2]) * 1000 + Number(`0.${m[3]}`) * 1000;
    rec.noted = at;
  };
  const pd = await startFakePagerDuty(onNote);
  const pdPort = pd.address().port;

  fs.mkdirSync(path.join(scratch, 'plugins'));
  fs.writeFileSync(path.join(scratch, 'plugins', 'bench-start.sh'), PLUGIN, { mode: 0o755 });
  fs.writeFileSync(
    path.join(scratch, 'rules.yaml'),
    [
      '# written by bench/latency/run.js',
      'defaults:',
      '  transport: ssh',
      `  user: ${fleet.user}`,
      `  port: ${fleet.port}`,
      'nodes:',
      ...fleet.addresses.map((a, i) => `  - {name: ${nodes[i]}, address: ${a}}`),
      'notify:',
      `  pagerduty: {from: ${PD_FROM}}`,
      'rules:',
      '  - name: bench-latency',
      '    matchers:',
      '      - alertname="BenchLatency"',
      '    node: "{{ labels.nodename }}"',
      '    steps:',
      '      - action: bench-start',
      '    notify: [pagerduty]',
      '',
    ].join('\n'),
  );
  const token = randomBytes(24).toString('hex');
  const rune = await startRune({ scratch, fleet, pdPort, token, concurrency: opts.concurrency });
  log(
    `setup: ${nodes.length} node(s) on ${fleet.addresses[0]}…${fleet.addresses[fleet.addresses.length - 1]}` +
      `:${fleet.port} (sshd), fake PagerDuty on 127.0.0.1:${pdPort}, ` +
      `bin/rune serve (pid ${rune.pid}) on 127.0.0.1:${rune.port}, scratch ${scratch}`,
  );

  // Warm-up: the SSH connection gets pooled, the code paths warm; not counted.
  const warmup = Math.max(opts.warmup, nodes.length);
  {
    const warm = new Map();
    await schedule({ rate: 20, n: warmup, port: rune.port, token, records: warm, prefix: 'w0', nodes });
    const left = await waitNotes(warm, opts.grace * 1000);
    const bad = [...warm.values()].filter((r) => r.status !== 202);
    if (bad.length || left)
      throw new Error(
        `warm-up: ${bad.length} not accepted (${bad[0]?.error ?? ''}), ${left} without a note; ` +
          `RUNE's log: ${fs.readFileSync(path.join(scratch, 'rune.log'), 'utf8').slice(-1500)}`,
      );
    log(`warm-up: ${warmup} alerts over ${nodes.length} node(s), each ran and got its note`);
  }

  const results = [];
  const perRate = [];
  for (const [k, rate] of opts.rates.entries()) {
    const n = Math.min(opts.maxAlerts, Math.max(1, Math.round(rate * opts.seconds)));
    const mine = new Map();
    const prefix = `r${(k + 1).toString(16)}`;
    log(`rate ${rate}/s: ${n} alerts over ${(n / rate).toFixed(1)} s (load ${loadavg()})`);
    const cpu0 = { rune: procCpu(rune.pid), sshd: fleet.cpuSeconds(), self: process.cpuUsage() };
    const t0 = nowMs();
    await schedule({ rate, n, port: rune.port, token, records: mine, prefix, nodes });
    const missing = await waitNotes(mine, opts.grace * 1000);
    const wall = (nowMs() - t0) / 1000;
    const self = process.cpuUsage(cpu0.self);
    const cpu = {
      rune: procCpu(rune.pid) - cpu0.rune,
      sshd: fleet.cpuSeconds() - cpu0.sshd,
      bench: (self.user + self.system) / 1e6,
    };
    const recs = [...mine.values()];
    perRate.push(recs);
    const ok = recs.filter((r) => r.noted !== null);
    const r = {
      rate,
      alerts: n,
      accepted: recs.filter((x) => x.status === 202).length,
      noted: ok.length,
      missing,
      sendLagP99: statsOf(recs.map((x) => x.sent - x.due)).p99,
      ack: statsOf(recs.filter((x) => x.ack !== null).map((x) => x.ack - x.due)),
      toNode: statsOf(ok.map((x) => x.started - x.due)),
      nodeToNote: statsOf(ok.map((x) => x.noted - x.started)),
      toNote: statsOf(ok.map((x) => x.noted - x.due)),
      wallS: wall,
      cpuS: cpu,
    };
    results.push(r);
    const f = (st) => `p50 ${ms(st.p50)} / p99 ${ms(st.p99)} / max ${ms(st.max)} ms`;
    log(
      `  ${r.accepted}/${n} accepted, ${r.noted} noted` +
        (missing ? `, ${missing} WITHOUT A NOTE after ${opts.grace} s` : '') +
        ` (send lag p99 ${ms(r.sendLagP99)} ms)`,
    );
    log(`  ack (202):        ${f(r.ack)}`);
    log(
      `  to the node:      ${f(r.toNode)}   ` +
        `target p50 < ${TARGET_P50_MS} ms: ${r.toNode.p50 < TARGET_P50_MS ? 'met' : 'MISSED'}`,
    );
    log(`  node to note:     ${f(r.nodeToNote)}`);
    log(`  to the note:      ${f(r.toNote)}`);
    const per = (x) => `${((1000 * x) / n).toFixed(1)} ms`;
    log(
      `  CPU over ${wall.toFixed(1)} s: rune serve ${cpu.rune.toFixed(2)} s (${per(cpu.rune)} an alert), ` +
        `sshd side ${cpu.sshd.toFixed(2)} s (${per(cpu.sshd)}), load tool + fake PagerDuty ` +
        `${cpu.bench.toFixed(2)} s (${per(cpu.bench)}); ` +
        `${((cpu.rune + cpu.sshd + cpu.bench) / wall).toFixed(2)} of ${nproc()} cores`,
    );
  }
  await rune.stop();
  // When RUNE marked each job running (its database, ms precision): splits "to the node" into RUNE's
  // part (ingest, queue, plan) and the transport's (SSH channel, sshd, the wrapper, the plugin's start).
  {
    const Database = require(require.resolve('better-sqlite3', { paths: [ROOT] }));
    const db = new Database(path.join(scratch, 'rune.db'), { readonly: true, fileMustExist: true });
    const rows = db
      .prepare("SELECT json_extract(alert, '$.fingerprint') AS fp, started_at FROM jobs WHERE started_at IS NOT NULL")
      .all();
    db.close();
    for (const row of rows) {
      const rec = records.get(row.fp);
      if (rec) rec.running = Date.parse(row.started_at);
    }
    log('');
    log('to the node, split at the moment RUNE marked the job running (ms precision):');
    for (const [i, recs] of perRate.entries()) {
      const ok = recs.filter((x) => x.running !== undefined && x.started !== null);
      const r = results[i];
      r.toRunning = statsOf(ok.map((x) => x.running - x.due));
      r.runningToNode = statsOf(ok.map((x) => x.started - x.running));
      log(
        `  ${r.rate}/s: POST → running p50 ${ms(r.toRunning.p50)} / p99 ${ms(r.toRunning.p99)} ms; ` +
          `running → plugin started p50 ${ms(r.runningToNode.p50)} / p99 ${ms(r.runningToNode.p99)} ms`,
      );
    }
  }
  const met = results.every((r) => r.toNode.p50 < TARGET_P50_MS && r.missing === 0);
  log('');
  log(
    `summary: p50 to the node ${results.map((r) => `${r.rate}/s ${ms(r.toNode.p50)} ms`).join(', ')} ` +
      `(target < ${TARGET_P50_MS} ms: ${met ? 'met' : 'MISSED'}); load average at end ${loadavg()}; ` +
      `${((nowMs() - started) / 1000).toFixed(0)} s`,
  );
  if (opts.json) log(JSON.stringify({ nproc: nproc(), loadavg: os.loadavg(), options: opts, results }));
  log(`(RUNE's log and database: ${opts.keep ? scratch : 'removed; --keep keeps them'})`);
  clearTimeout(timer);
  return opts.check && !met ? 1 : 0;
}

main()
  .then(async (code) => {
    await teardown();
    process.exit(code);
  })
  .catch(async (err) => {
    process.stderr.write(`bench/latency: ${err && err.stack ? err.stack : String(err)}\n`);
    await teardown();
    process.exit(2);
  });
