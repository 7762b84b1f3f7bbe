#!/usr/bin/env node
'use strict';
/**
 * bench/ingest child: `rune serve --dry-run` in its own process, wired from dist/ exactly as
 * `rune serve` wires it (readSettings + readServeSettings + startServer), listening on 127.0.0.1:0.
 *
 *   BENCH_TOKEN=… node bench/ingest/rune-server.js --rules F --plugins DIR --db F [--log FILE|none] [--concurrency N]
 *
 * Prints {"port":N} on stdout once it listens. Driven over the IPC channel by bench/ingest/run.js:
 *   {type:'cpu'}                → {type:'cpu', user, system, rss} (µs, bytes)
 *   {type:'profile-start'}      → starts the V8 CPU profiler (node:inspector), {type:'profile-started'}
 *   {type:'profile-stop', file} → writes the .cpuprofile to file, {type:'profile-stopped', file}
 *   {type:'eld-start'}          → starts measuring event-loop delay, {type:'eld-started'}
 *   {type:'eld-stop'}           → {type:'eld', maxMs, p99Ms, meanMs}: how late a 5 ms timer fired
 *   {type:'stop'}               → server.close(), exit 0
 * Exits when the parent goes away (IPC disconnect), so it never outlives the benchmark.
 */
const fs = require('node:fs');
const path = require('node:path');

const DIST = path.resolve(__dirname, '..', '..', 'dist');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = process.argv[i + 1];
  if (v === undefined) throw new Error(`${name} needs a value`);
  return v;
}

async function main() {
  const { startServer } = require(path.join(DIST, 'server/start-server.js'));
  const { readSettings, readServeSettings } = require(path.join(DIST, 'settings/read-settings.js'));
  const { createLogger } = require(path.join(DIST, 'server/create-logger.js'));
  const { createLocalTransport } = require(path.join(DIST, 'transports/local-transport.js'));

  const rules = arg('--rules');
  const plugins = arg('--plugins');
  const db = arg('--db');
  const logTo = arg('--log', 'none');
  const concurrency = arg('--concurrency', undefined);
  if (!rules || !plugins || !db) throw new Error('--rules, --plugins and --db are required');
  if (!process.env.BENCH_TOKEN) throw new Error('BENCH_TOKEN (the webhook token) is not set');

  const settings = readSettings({ config: rules, plugins }, { RUNE_SSH_USER: 'bench' });
  const serve = readServeSettings(
    { listen: '127.0.0.1:0', db, dryRun: true, ...(concurrency !== undefined ? { concurrency } : {}) },
    { RUNE_WEBHOOK_TOKEN: process.env.BENCH_TOKEN },
    (p) => fs.readFileSync(p, 'utf8'),
  );
  // RUNE's own pino logger (redaction and all) into a file, or nothing: JSON lines on a terminal
  // would measure the terminal.
  const noop = () => {};
  const log = logTo === 'none' ? { info: noop, warn: noop, error: noop } : createLogger(fs.createWriteStream(logTo));
  const server = await startServer({
    settings,
    serve,
    log,
    createTransports: () => ({ local: createLocalTransport() }),
  });
  const ready = { port: server.port, db: serve.dbPath, dryRun: serve.dryRun, concurrency: serve.concurrency };
  process.stdout.write(`${JSON.stringify(ready)}\n`);

  let session = null;
  let eld = null;
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  process.on('message', async (m) => {
    try {
      if (m.type === 'cpu') {
        const u = process.cpuUsage();
        process.send({ type: 'cpu', user: u.user, system: u.system, rss: process.memoryUsage().rss });
      } else if (m.type === 'profile-start') {
        const inspector = require('node:inspector');
        session = new inspector.Session();
        session.connect();
        await post('Profiler.enable');
        await post('Profiler.setSamplingInterval', { interval: m.intervalUs || 500 });
        await post('Profiler.start');
        process.send({ type: 'profile-started' });
      } else if (m.type === 'profile-stop') {
        const { profile } = await post('Profiler.stop');
        fs.writeFileSync(m.file, JSON.stringify(profile));
        session.disconnect();
        session = null;
        process.send({ type: 'profile-stopped', file: m.file });
      } else if (m.type === 'eld-start') {
        // A 5 ms timer: how late each tick fires is how long the event loop was blocked.
        const gaps = [];
        let last = performance.now();
        const timer = setInterval(() => {
          const now = performance.now();
          gaps.push(Math.max(0, now - last - 5));
          last = now;
        }, 5);
        eld = { timer, gaps };
        process.send({ type: 'eld-started' });
      } else if (m.type === 'eld-stop') {
        clearInterval(eld.timer);
        const gaps = eld.gaps.sort((a, b) => a - b);
        const p99 = gaps[Math.min(gaps.length - 1, Math.ceil(0.99 * gaps.length) - 1)] ?? 0;
        const mean = gaps.reduce((a, b) => a + b, 0) / Math.max(1, gaps.length);
        process.send({ type: 'eld', maxMs: gaps[gaps.length - 1] ?? 0, p99Ms: p99, meanMs: mean });
        eld = null;
      } else if (m.type === 'stop') {
        await server.close(2000);
        process.exit(0);
      }
    } catch (err) {
      process.send({ type: 'error', message: err && err.stack ? err.stack : String(err) });
    }
  });
  process.on('disconnect', () => process.exit(1));
}

main().catch((err) => {
  process.stderr.write(`bench/ingest rune-server: ${err && err.stack ? err.stack : String(err)}\n`);
  process.exit(2);
});
