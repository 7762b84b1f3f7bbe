#!/usr/bin/env node
'use strict';
/**
 * bench/regex: hostile label values against a regex matcher, through a real `rune serve` (issue #12
 * item 10). Does one notification with large crafted labels stall the event loop?
 *
 *   npm run build && node bench/regex/run.js [--alerts 450] [--value-kb 4] [--pattern '.*x.*y'] [--check]
 *
 * - RUNE: bench/ingest/rune-server.js (startServer() from dist/, wired as `rune serve --dry-run`,
 *   SQLite on disk) in its own process, with one rule: `alertname="BenchAlert"` and
 *   `job=~"<pattern>"` (default `.*x.*y`, quadratic for a backtracking engine), a noop on the
 *   inventory glob bench-*.
 * - Load: one Alertmanager notification of `--alerts` alerts whose `job` label is `--value-kb` KiB of
 *   `x` (no `y`: every position is tried), each a new fingerprint; `--repeat` times, after a small
 *   warm-up notification. While each is ingested, a second connection asks GET /-/healthy back to
 *   back; the child measures its own event-loop delay (how late a 5 ms timer fires).
 * - Figures per repeat: the webhook's answer time, the event loop's longest delay, /-/healthy's
 *   slowest and median answer. Exit 0 once measured, 2 on a setup failure; with --check 1 when the
 *   longest event-loop delay or the slowest /-/healthy answer is over --max-stall ms (default 250).
 */
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const { startServerChild } = require('../lib/server-child');
const { loadavg, nproc, log, median, ms, pkgVersion, parseOptions } = require('../lib/common');
const RUNE_CHILD = path.join(ROOT, 'bench', 'ingest', 'rune-server.js');
const TOKEN = 'bench-regex-token';

function usage(code, msg) {
  if (msg) process.stderr.write(`bench/regex: ${msg}\n`);
  (code ? process.stderr : process.stdout).write(
    `usage: node bench/regex/run.js [options]
  --alerts N         alerts in the notification (default 450)
  --value-kb K       KiB of the crafted job label of each alert (default 4)
  --pattern RE       the rule's job=~ regex (default .*x.*y)
  --repeat N         notifications measured (default 3)
  --max-stall MS     --check's limit on event-loop delay and /-/healthy time (default 250)
  --check            exit 1 when a limit is missed
`,
  );
  process.exit(code);
}

const opts = parseOptions(
  process.argv.slice(2),
  {
    defaults: { alerts: 450, valueKb: 4, pattern: '.*x.*y', repeat: 3, maxStall: 250, check: false },
    flags: { '--check': 'check' },
    numbers: { '--alerts': 'alerts', '--value-kb': 'valueKb', '--repeat': 'repeat', '--max-stall': 'maxStall' },
    ints: ['alerts', 'repeat'],
    values: { '--pattern': (v, o) => void (o.pattern = v) },
  },
  usage,
);

const children = new Set();
let scratch = null;
function teardown() {
  for (const c of children) c.kill('SIGKILL');
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
}
process.on('exit', teardown);

function notification(serial, alerts, value) {
  return Buffer.from(
    `${JSON.stringify({
      receiver: 'rune-bench',
      status: 'firing',
      alerts: Array.from({ length: alerts }, (_, i) => ({
        status: 'firing',
        labels: { alertname: 'BenchAlert', nodename: `bench-${i}`, job: value },
        annotations: {},
        startsAt: '2026-11-24T10:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example:9090/graph',
        fingerprint: `${serial.toString(16).padStart(6, '0')}${i.toString(16).padStart(10, '0')}`,
      })),
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager.example:9093',
      version: '4',
      groupKey: '{}/{}:{alertname="BenchAlert"}',
      truncatedAlerts: 0,
    })}\n`,
  );
}

function request(port, method, urlPath, body, agent) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent,
        headers: body ? { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` } : {},
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode, text, ms: Number(process.hrtime.bigint() - started) / 1e6 }),
        );
      },
    );
    req.on('error', (e) => reject(new Error(`${method} ${urlPath}: ${e.message}`)));
    req.end(body);
  });
}

async function main() {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rune-bench-regex-'));
  const rules = path.join(scratch, 'rules.yaml');
  const pattern = opts.pattern.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  fs.writeFileSync(
    rules,
    `nodes:\n  - {name: "bench-*", transport: local}\nrules:\n  - name: crafted\n    matchers:\n` +
      `      - 'alertname="BenchAlert"'\n      - ${JSON.stringify(`job=~"${pattern}"`)}\n` +
      `    node: "{{ labels.nodename }}"\n    steps: [{action: noop}]\n`,
  );
  const rune = await startServerChild(
    'rune',
    RUNE_CHILD,
    ['--rules', rules, '--plugins', path.join(ROOT, 'plugins'), '--db', path.join(scratch, 'rune.db')],
    { BENCH_TOKEN: TOKEN },
    children,
  );
  const value = 'x'.repeat(Math.round(opts.valueKb * 1024));
  log(
    `bench/regex: ${new Date().toISOString()}, node ${process.version}, ${nproc()} cores, load ${loadavg()}, ` +
      `re2-wasm ${pkgVersion('re2-wasm')}`,
  );
  log(`rule: job=~"${opts.pattern}"; notification: ${opts.alerts} alerts, job = ${value.length} × "x"`);
  const warm = await request(rune.port, 'POST', '/webhooks/alertmanager', notification(0, 1, 'warm-up'));
  if (warm.status !== 202) throw new Error(`warm-up answered ${warm.status}: ${warm.text}`);

  const rows = [];
  for (let r = 1; r <= opts.repeat; r++) {
    const body = notification(r, opts.alerts, value);
    await rune.eldStart();
    let posting = true;
    const health = [];
    const prober = (async () => {
      // A new connection each time: a stalled server drops idle keep-alive sockets as it wakes up.
      while (posting) health.push((await request(rune.port, 'GET', '/-/healthy', null, false)).ms);
    })();
    const post = await request(rune.port, 'POST', '/webhooks/alertmanager', body);
    posting = false;
    await prober;
    const eld = await rune.eldStop();
    if (post.status !== 202) throw new Error(`the notification answered ${post.status}: ${post.text.slice(0, 300)}`);
    rows.push({
      kb: body.length / 1024,
      post: post.ms,
      eld: eld.maxMs,
      hMax: Math.max(...health),
      hMed: median(health),
      n: health.length,
    });
  }
  log('');
  log('| # | body | webhook answer | event-loop delay, max | /-/healthy max | /-/healthy median | probes |');
  log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  rows.forEach((x, i) => {
    const cells = [i + 1, `${x.kb.toFixed(0)} KiB`, ...[x.post, x.eld, x.hMax, x.hMed].map((v) => `${ms(v)} ms`), x.n];
    log(`| ${cells.join(' | ')} |`);
  });
  await rune.stop();
  const worst = Math.max(...rows.map((x) => Math.max(x.eld, x.hMax)));
  if (opts.check && worst > opts.maxStall) {
    log(`\nFAIL: a stall of ${ms(worst)} ms (limit ${opts.maxStall} ms)`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  process.stderr.write(`bench/regex: ${err && err.stack ? err.stack : String(err)}\n`);
  process.exitCode = 2;
});
