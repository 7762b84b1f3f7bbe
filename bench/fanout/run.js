#!/usr/bin/env node
'use strict';
/**
 * bench/fanout: RUNE vs OpenSSH on a loopback fleet, in the same run.
 *
 *   npm run build && node bench/fanout/run.js [--nodes 100] [--repeat 3] [--parallel 50]
 *
 * 1. fan-out: the plugin (`noop`) on N nodes (127.0.1.1…127.0.1.N, all served by throw-away
 *    sshd daemons on loopback), P at a time:
 *    - RUNE: runAction() with a real createSshTransport() through mapBounded(P), the plugin
 *      registry of plugins/, every Result must be `succeeded`;
 *    - OpenSSH: `xargs -P P` running `ssh … "<the exact command RUNE sends>" < payload` per node,
 *      every ssh must exit 0 and print one JSON object.
 *    - RUNE CLI: `bin/rune run noop --node node-001 … --node node-N --concurrency P --output json` as
 *      a user types it (a fresh process: node start, module loading, the SSH pool), every Result
 *      must be `succeeded`;
 *    - OpenSSH `echo ok`: `xargs -P P` running `ssh … 'echo ok'` per node (no plugin, no wrapper):
 *      the floor a user compares with; every ssh must exit 0 and print `ok`.
 *    Ratios: RUNE CLI / `echo ok` (the target), RUNE CLI and in-process RUNE / OpenSSH with RUNE's command.
 * 2. sequential: S runs (default 50) one after another on one node: RUNE with one transport (its
 *    pool reuses one connection) vs S fresh `ssh` connections.
 * Each measurement is repeated R times, RUNE and OpenSSH alternating (ABBA order), and the medians,
 * min/max and ratios RUNE/OpenSSH are printed. Needs root (sshd), ssh, ssh-keygen and xargs.
 */
const { spawn, execFileSync } = require('node:child_process');
const { randomBytes, randomUUID } = require('node:crypto');
const fs = require('node:fs');
const { readFile } = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');

const { ROOT, loadavg, nproc, log, median, parseOptions } = require('../lib/common');
const DIST = path.join(ROOT, 'dist');
const HELPER = path.join(__dirname, 'ssh-one.sh');
const RUNE_BIN = path.join(ROOT, 'bin', 'rune');
const TARGET_RATIO = 0.6;

// ---------------------------------------------------------------- options

function usage(code, msg) {
  if (msg) process.stderr.write(`bench/fanout: ${msg}\n`);
  (code ? process.stderr : process.stdout).write(
    `usage: node bench/fanout/run.js [options]
  --nodes N        nodes in the fan-out (default 100): 127.0.1.1 … 127.0.1.N on loopback
  --repeat R       measurements per side (default 3), RUNE and OpenSSH alternating
  --parallel P     nodes at once, RUNE's concurrency and xargs -P (default 50)
  --sequential S   runs on one node in the sequential part (default 50; 0 skips it)
  --plugins DIR    plugins folder (default ./plugins; the action is noop)
  --time-limit SEC abort and clean up after SEC seconds (default 900)
  --idle-ms MS     RUNE's pool idle timeout (default: the transport's, 60 s); 0 closes each
                   connection as soon as its run ends (an experiment, not what the CLI does)
  --sides LIST     fan-out sides to measure, comma-separated, from cli,rune,ssh,echo,echo-x25519 (default all):
                   cli = bin/rune run as shipped, rune = runAction() in this process,
                   ssh = OpenSSH with RUNE's remote command, echo = OpenSSH running \`echo ok\`,
                   echo-x25519 = the same with -o KexAlgorithms=curve25519-sha256 (ssh2's key exchange)
  --json           also print a JSON summary on the last line
  --check          exit 1 when RUNE CLI / echo ok misses its target (≤ ${TARGET_RATIO}); default: exit 0 once measured
Needs root (it starts sshd), ssh, ssh-keygen, xargs, and dist/ (npm run build).
`,
  );
  process.exit(code);
}

function parseArgs(argv) {
  const o = parseOptions(
    argv,
    {
      defaults: {
        nodes: 100,
        repeat: 3,
        parallel: 50,
        sequential: 50,
        plugins: path.join(ROOT, 'plugins'),
        timeLimit: 900,
        json: false,
        check: false,
        idleMs: null,
        sides: ['cli', 'rune', 'ssh', 'echo', 'echo-x25519'],
      },
      flags: { '--json': 'json', '--check': 'check' },
      numbers: {
        '--nodes': 'nodes',
        '--repeat': 'repeat',
        '--parallel': 'parallel',
        '--sequential': 'sequential',
        '--time-limit': 'timeLimit',
        '--idle-ms': 'idleMs',
      },
      ints: ['nodes', 'repeat', 'parallel', 'sequential', 'timeLimit', 'idleMs'],
      values: {
        '--plugins': (v, opts) => void (opts.plugins = path.resolve(v)),
        '--sides': (v, opts) => {
          const sides = v.split(',').filter(Boolean);
          const bad = sides.filter((x) => !['cli', 'rune', 'ssh', 'echo', 'echo-x25519'].includes(x));
          if (bad.length > 0 || sides.length === 0) usage(2, `--sides: unknown side(s) ${bad.join(',') || '(none)'}`);
          opts.sides = sides;
        },
      },
    },
    usage,
  );
  if (o.nodes < 1 || o.nodes > 254 * 254) usage(2, '--nodes must be between 1 and 64516');
  if (o.repeat < 1) usage(2, '--repeat must be at least 1');
  if (o.parallel < 1) usage(2, '--parallel must be at least 1');
  if (o.timeLimit < 1) usage(2, '--time-limit must be at least 1');
  return o;
}

// ---------------------------------------------------------------- dist/

function loadDist() {
  const need = [
    'orchestrator/run-action.js',
    'orchestrator/plan-run.js',
    'transports/ssh-transport.js',
    'transports/wrapper-script.js',
    'transports/transport.js',
    'plugins/load-registry.js',
    'config/validate-config.js',
  ];
  const missing = need.filter((f) => !fs.existsSync(path.join(DIST, f)));
  if (missing.length > 0) {
    process.stderr.write(
      `bench/fanout: ${path.relative(process.cwd(), DIST) || DIST}/ ` +
        `is missing or incomplete (${missing.join(', ')}).\nBuild first: cd ${ROOT} && npm run build\n`,
    );
    process.exit(2);
  }
  const d = (f) => require(path.join(DIST, f));
  return {
    ...d('orchestrator/run-action.js'),
    ...d('orchestrator/plan-run.js'),
    ...d('transports/ssh-transport.js'),
    ...d('transports/wrapper-script.js'),
    ...d('transports/transport.js'),
    ...d('plugins/load-registry.js'),
    ...d('config/validate-config.js'),
  };
}

// ---------------------------------------------------------------- helpers

const secs = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${(ms / 1000).toFixed(2)}s`);
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), all: xs });

function tryText(cmd, args) {
  try {
    return execFileSync('/bin/sh', ['-c', '"$0" "$@" 2>&1', cmd, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch (err) {
    return String(err.stdout || '').trim() || '?';
  }
}

// CPU accounting from /proc (clock ticks): fields utime stime cutime cstime of /proc/PID/stat.
const CLK_TCK = Number(tryText('getconf', ['CLK_TCK'])) || 100;
/** This process and every child it reaped (sh, xargs, ssh): the client side of either tool. */
const clientCpu = () => {
  const u = process.cpuUsage();
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return (u.user + u.system) / 1e6 + (f[13] + f[14]) / CLK_TCK;
};

/** Counts ssh2 connections and records the commands RUNE sends (patched on ssh2's Client, which dist/ uses). */
function instrumentSsh2() {
  const { Client } = require(require.resolve('ssh2', { paths: [DIST] }));
  const counters = { connects: 0, execs: 0, firstCommand: null };
  const connect = Client.prototype.connect;
  Client.prototype.connect = function (...args) {
    counters.connects++;
    return connect.apply(this, args);
  };
  const exec = Client.prototype.exec;
  Client.prototype.exec = function (command, ...rest) {
    counters.execs++;
    if (counters.firstCommand === null) counters.firstCommand = command;
    return exec.call(this, command, ...rest);
  };
  return counters;
}

// ---------------------------------------------------------------- teardown

const cleanup = { transports: new Set(), children: new Set(), fleet: null, scratch: null, done: false };

async function teardown() {
  if (cleanup.done) return;
  cleanup.done = true;
  for (const t of cleanup.transports) {
    try {
      await t.close();
    } catch {
      /* best effort */
    }
  }
  for (const child of cleanup.children) {
    try {
      process.kill(-child.pid, 'SIGKILL'); // its own process group: xargs, sh and the ssh it started
    } catch {
      /* already gone */
    }
  }
  if (cleanup.fleet) await cleanup.fleet.stop();
  if (cleanup.scratch) fs.rmSync(cleanup.scratch, { recursive: true, force: true });
}

function abort(msg, code) {
  process.stderr.write(`\nbench/fanout: ${msg}; cleaning up\n`);
  teardown().finally(() => process.exit(code));
}

// ---------------------------------------------------------------- the two sides

function makeRune(dist, ctx) {
  const request = (node) => ({
    action: ctx.action,
    node,
    params: {},
    dryRun: false,
    pluginDryRun: false,
    trigger: { kind: 'cli', actor: 'bench@fanout' },
    alert: null,
    jobId: randomUUID(),
    traceId: randomBytes(16).toString('hex'),
  });
  const newTransport = () => {
    const t = dist.createSshTransport({
      keyPath: ctx.fleet.userKey,
      knownHostsPath: ctx.fleet.knownHosts,
      ...(ctx.opts.idleMs !== null ? { idleMs: ctx.opts.idleMs } : {}),
    });
    cleanup.transports.add(t);
    return t;
  };
  const depsFor = (transport) => ({
    registry: ctx.registry,
    config: ctx.config,
    env: { fallbackUser: ctx.fleet.user },
    transports: { ssh: transport },
    readScript: (p) => readFile(p),
    now: () => new Date(),
  });
  const check = (results, what) => {
    const bad = results.filter((r) => r.status !== 'succeeded');
    if (bad.length > 0) {
      const sample = bad
        .slice(0, 3)
        .map((r) => `${r.node}: ${r.status} ${r.error ? r.error.code : ''} ${r.summary}`)
        .join('\n  ');
      throw new Error(`RUNE ${what}: ${bad.length}/${results.length} runs did not succeed:\n  ${sample}`);
    }
  };
  return {
    async fanout() {
      const transport = newTransport();
      const deps = depsFor(transport);
      const c0 = ctx.counters.connects;
      const cpu0 = clientCpu();
      const t0 = performance.now();
      const results = await dist.mapBounded(ctx.nodeNames, ctx.opts.parallel, (node) =>
        dist.runAction(request(node), deps),
      );
      const ms = performance.now() - t0;
      const cpu = clientCpu() - cpu0;
      const connections = ctx.counters.connects - c0;
      await transport.close();
      cleanup.transports.delete(transport);
      check(results, 'fan-out');
      return { ms, cpu, connections };
    },
    async sequential() {
      const transport = newTransport();
      const deps = depsFor(transport);
      const c0 = ctx.counters.connects;
      const node = ctx.nodeNames[0];
      const results = [];
      const cpu0 = clientCpu();
      const t0 = performance.now();
      for (let i = 0; i < ctx.opts.sequential; i++) results.push(await dist.runAction(request(node), deps));
      const ms = performance.now() - t0;
      const cpu = clientCpu() - cpu0;
      const connections = ctx.counters.connects - c0;
      await transport.close();
      cleanup.transports.delete(transport);
      check(results, 'sequential');
      return { ms, cpu, connections };
    },
  };
}

/**
 * RUNE as a user runs it: `bin/rune run ACTION --node … --concurrency P --output json`, a fresh
 * process each time (node start, module loading, registry, config, SSH pool), with the bench's key,
 * known_hosts and user in RUNE_SSH_* (no agent). Every line of its output must be a succeeded Result.
 */
function makeRuneCli(ctx) {
  const env = { ...process.env, RUNE_SSH_KEY: ctx.fleet.userKey, RUNE_SSH_KNOWN_HOSTS: ctx.fleet.knownHosts };
  env.RUNE_SSH_USER = ctx.fleet.user;
  delete env.SSH_AUTH_SOCK;
  delete env.RUNE_CONFIG;
  delete env.RUNE_PLUGINS_DIR;
  const args = (nodes) => [
    'run',
    ctx.action,
    ...nodes.flatMap((n) => ['--node', n]),
    '--concurrency',
    String(ctx.opts.parallel),
    '--output',
    'json',
    '--config',
    ctx.rulesPath,
    '--plugins',
    ctx.pluginsDir,
  ];
  const run = (nodes) =>
    new Promise((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      const cpu0 = clientCpu();
      const t0 = performance.now();
      const child = spawn(RUNE_BIN, args(nodes), { cwd: ctx.scratch, env, stdio: ['ignore', 'pipe', 'pipe'] });
      cleanup.children.add(child);
      child.stdout.on('data', (c) => (stdout += c.toString()));
      child.stderr.on('data', (c) => (stderr = (stderr + c.toString()).slice(-2000)));
      child.once('error', reject);
      child.once('close', (code, signal) => {
        const ms = performance.now() - t0;
        const cpu = clientCpu() - cpu0;
        cleanup.children.delete(child);
        const results = stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => {
            try {
              return JSON.parse(l);
            } catch {
              return { status: `unparsable: ${l.slice(0, 80)}` };
            }
          });
        const bad = results.filter((r) => r.status !== 'succeeded');
        if (code !== 0 || results.length !== nodes.length || bad.length > 0)
          reject(
            new Error(
              `RUNE CLI: exit ${code ?? signal}, ${results.length} Results for ${nodes.length} nodes, ` +
                `${bad.length} not succeeded (${bad
                  .slice(0, 3)
                  .map((r) => `${r.node}: ${r.status} ${r.summary ?? ''}`)
                  .join('; ')}); stderr: ${stderr}`,
            ),
          );
        else resolve({ ms, cpu, connections: nodes.length });
      });
    });
  return {
    fanout: () => run(ctx.nodeNames),
    sequential: () => run(ctx.nodeNames.slice(0, 1)),
  };
}

/**
 * OpenSSH, one fresh `ssh` per run. `mode.cmdFile` holds the remote command (RUNE's exact one, or
 * `echo ok`), `mode.payloadFile` what goes on stdin, `mode.expect(stdout)` whether a run worked.
 */
function makeOpenSsh(ctx, mode) {
  let serial = 0;
  const env = (outDir) => ({
    ...process.env,
    BENCH_KEY: ctx.fleet.userKey,
    BENCH_KH: ctx.fleet.knownHosts,
    BENCH_PORT: String(ctx.fleet.port),
    BENCH_USER: ctx.fleet.user,
    BENCH_CMDFILE: mode.cmdFile,
    BENCH_PAYLOAD: mode.payloadFile,
    BENCH_OUT: outDir,
    ...(mode.kex ? { BENCH_KEX_ALGORITHMS: mode.kex } : {}),
  });
  /** Runs a shell pipeline in its own process group (so teardown can end all of it); resolves to ms. */
  const pipeline = (script, args, outDir) =>
    new Promise((resolve, reject) => {
      let stderr = '';
      const cpu0 = clientCpu();
      const t0 = performance.now();
      const child = spawn('/bin/sh', ['-c', script, 'sh', ...args], {
        env: env(outDir),
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: true,
      });
      cleanup.children.add(child);
      child.stderr.on('data', (c) => {
        stderr = (stderr + c.toString()).slice(-2000);
      });
      child.once('error', reject);
      child.once('close', (code, signal) => {
        const ms = performance.now() - t0;
        const cpu = clientCpu() - cpu0;
        cleanup.children.delete(child);
        resolve({ ms, cpu, code, signal, stderr });
      });
    });
  /** Every ssh exited 0 and printed what the mode expects. */
  const check = (outDir, tags, what) => {
    const bad = [];
    for (const tag of tags) {
      const read = (ext) => {
        try {
          return fs.readFileSync(path.join(outDir, `${tag}.${ext}`), 'utf8');
        } catch {
          return null;
        }
      };
      const rc = read('rc');
      const out = read('out');
      const ok = rc !== null && rc.trim() === '0' && out !== null && mode.expect(out);
      if (!ok)
        bad.push(
          `${tag}: exit ${rc === null ? 'none (not run)' : rc.trim()}, ` +
            `stdout ${JSON.stringify((out || '').slice(0, 120))}, ` +
            `stderr ${JSON.stringify((read('err') || '').slice(-200))}`,
        );
    }
    if (bad.length > 0)
      throw new Error(`OpenSSH ${what}: ${bad.length}/${tags.length} runs failed:\n  ${bad.slice(0, 3).join('\n  ')}`);
  };
  const outDirFor = (kind) => {
    const d = path.join(ctx.scratch, `${mode.name}-${kind}-${++serial}`);
    fs.mkdirSync(d);
    return d;
  };
  return {
    async fanout() {
      const outDir = outDirFor('fanout');
      const r = await pipeline(
        'exec xargs -P "$1" -n 1 /bin/sh "$2" < "$3"',
        [String(ctx.opts.parallel), HELPER, ctx.addressFile],
        outDir,
      );
      check(outDir, ctx.fleet.addresses, 'fan-out');
      if (r.code !== 0) throw new Error(`OpenSSH fan-out: xargs exited ${r.code ?? r.signal}: ${r.stderr}`);
      fs.rmSync(outDir, { recursive: true, force: true });
      return { ms: r.ms, cpu: r.cpu, connections: ctx.fleet.addresses.length };
    },
    async sequential() {
      const outDir = outDirFor('seq');
      const n = ctx.opts.sequential;
      const r = await pipeline(
        'i=0; while [ "$i" -lt "$1" ]; do i=$((i + 1)); /bin/sh "$2" "$3" "seq-$i" || exit $?; done',
        [String(n), HELPER, ctx.fleet.addresses[0]],
        outDir,
      );
      check(
        outDir,
        Array.from({ length: n }, (_, i) => `seq-${i + 1}`),
        'sequential',
      );
      if (r.code !== 0) throw new Error(`OpenSSH sequential: exited ${r.code ?? r.signal}: ${r.stderr}`);
      fs.rmSync(outDir, { recursive: true, force: true });
      return { ms: r.ms, cpu: r.cpu, connections: n };
    },
  };
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const dist = loadDist();
  for (const tool of ['ssh', 'ssh-keygen', 'xargs']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      process.stderr.write(
        `bench/fanout: ${tool} not found (apt-get install -y openssh-client openssh-server findutils)\n`,
      );
      process.exit(2);
    }
  }
  const { startFleet } = require('./sshd-fleet');
  const counters = instrumentSsh2();

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
    `software: node ${process.version}, ${tryText('ssh', ['-V']).split('\n')[0]}, ` +
      `ssh2 ${require(require.resolve('ssh2/package.json', { paths: [DIST] })).version}`,
  );

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rune-bench-'));
  cleanup.scratch = scratch;
  const fleet = await startFleet({ dir: scratch, nodes: opts.nodes, log: (s) => log(`setup: ${s}`) });
  cleanup.fleet = fleet;
  log(
    `setup: ${Math.ceil(opts.nodes / 15)} sshd on ` +
      `${fleet.addresses[0]}…${fleet.addresses[fleet.addresses.length - 1]} port ${fleet.port}, ` +
      `user ${fleet.user}, scratch ${scratch}`,
  );
  log(`setup: sshd-side CPU accounting: ${fleet.cpuAccounting}`);

  // Inventory: one node per address (rules.yaml, checked by RUNE's own validator).
  const nodeNames = fleet.addresses.map((_, i) => `node-${String(i + 1).padStart(3, '0')}`);
  const rulesPath = path.join(scratch, 'rules.yaml');
  const rulesText = [
    '# written by bench/fanout/run.js',
    'defaults:',
    '  transport: ssh',
    `  user: ${fleet.user}`,
    `  port: ${fleet.port}`,
    '  connect_timeout: 30s',
    `  concurrency: ${opts.parallel}`,
    'nodes:',
    ...fleet.addresses.map((a, i) => `  - {name: ${nodeNames[i]}, address: ${a}}`),
    '',
  ].join('\n');
  fs.writeFileSync(rulesPath, rulesText);
  const checked = dist.validateConfig(rulesText, rulesPath);
  if (!checked.value) throw new Error(`generated ${rulesPath} is invalid: ${JSON.stringify(checked.errors)}`);
  const config = checked.value;

  // The real plugin registry; noop if it is there, else the echo test fixture (noop may not exist yet).
  let registry = dist.loadRegistry(opts.plugins);
  let action = 'noop';
  if (!registry.plugins.has('noop')) {
    const fixtures = path.join(ROOT, 'test', 'fixtures', 'plugins');
    const problems = registry.problems.length
      ? ` (problems: ${registry.problems.map((p) => `${p.file}: ${p.reason}`).join('; ')})`
      : '';
    log(`note: no noop plugin in ${opts.plugins}${problems}; using echo from ${path.relative(ROOT, fixtures)}`);
    registry = dist.loadRegistry(fixtures);
    action = 'echo';
    if (!registry.plugins.has('echo')) throw new Error(`no echo plugin in ${fixtures} either`);
  }
  const plugin = registry.plugins.get(action);

  // The exact remote command and payload RUNE sends (same builder, same plan), for OpenSSH.
  const plan = dist.planRun(
    {
      action,
      node: nodeNames[0],
      params: {},
      dryRun: false,
      pluginDryRun: false,
      trigger: { kind: 'cli', actor: 'bench@fanout' },
      alert: null,
      jobId: randomUUID(),
      traceId: randomBytes(16).toString('hex'),
    },
    registry,
    config,
    { fallbackUser: fleet.user },
  );
  const script = fs.readFileSync(plugin.path);
  const wrapper = dist.buildWrapperScript({
    script,
    timeoutMs: plan.timeoutMs,
    become: plugin.become,
    killGraceMs: dist.KILL_GRACE_MS,
  });
  const command = `exec /bin/sh -c ${dist.shSingleQuote(wrapper)}`;
  const cmdFile = path.join(scratch, 'remote-command');
  const payloadFile = path.join(scratch, 'payload.json');
  const addressFile = path.join(scratch, 'addresses');
  fs.writeFileSync(cmdFile, command);
  fs.writeFileSync(payloadFile, JSON.stringify(plan.payload));
  fs.writeFileSync(addressFile, fleet.addresses.join('\n') + '\n');
  if (opts.idleMs !== null) log(`RUNE pool idle timeout: ${opts.idleMs} ms (--idle-ms)`);
  log(
    `plugin: ${action} ${plugin.version} (${path.relative(ROOT, plugin.path)}, ${script.length} bytes; ` +
      `remote command ${command.length} bytes, payload on stdin)`,
  );

  const echoCmdFile = path.join(scratch, 'remote-command-echo');
  fs.writeFileSync(echoCmdFile, 'echo ok');
  const ctx = {
    opts,
    fleet,
    registry,
    config,
    action,
    nodeNames,
    counters,
    scratch,
    addressFile,
    rulesPath,
    pluginsDir: action === 'noop' ? opts.plugins : path.join(ROOT, 'test', 'fixtures', 'plugins'),
  };
  const isPluginOutput = (out) => {
    try {
      const v = JSON.parse(out);
      return v !== null && typeof v === 'object' && !Array.isArray(v) && v.status === 'ok';
    } catch {
      return false;
    }
  };
  const impl = {
    rune: makeRune(dist, ctx),
    cli: makeRuneCli(ctx),
    ssh: makeOpenSsh(ctx, { name: 'ssh', cmdFile, payloadFile, expect: isPluginOutput }),
    'echo-x25519': makeOpenSsh(ctx, {
      name: 'echo-x25519',
      cmdFile: echoCmdFile,
      payloadFile: '/dev/null',
      expect: (o) => o === 'ok\n',
      kex: 'curve25519-sha256',
    }),
    echo: makeOpenSsh(ctx, {
      name: 'echo',
      cmdFile: echoCmdFile,
      payloadFile: '/dev/null',
      expect: (o) => o === 'ok\n',
    }),
  };
  const LABEL = {
    rune: 'RUNE in-process',
    cli: 'RUNE CLI',
    ssh: 'OpenSSH RUNE cmd',
    echo: 'OpenSSH echo ok',
    'echo-x25519': 'OpenSSH echo ok, x25519',
  };

  // Warm-up (not timed): every side works, and RUNE really sends what OpenSSH is given.
  {
    const saved = opts.sequential;
    opts.sequential = 1;
    await impl.rune.sequential();
    if (counters.firstCommand !== command)
      throw new Error('the command RUNE sent differs from the one given to OpenSSH (wrapper changed under us?)');
    for (const side of ['ssh', ...opts.sides.filter((x) => x !== 'rune' && x !== 'ssh')]) await impl[side].sequential();
    opts.sequential = saved;
    log('warm-up: one run each side ok; OpenSSH gets byte-for-byte the remote command RUNE sends');
  }

  // Each measurement: wall time, client CPU (this process + the ssh/xargs/rune it reaped) and sshd CPU
  // (the daemons + every per-connection sshd, shell and plugin they reaped), sessions drained before
  // and after so that one measurement's tail does not land in the next.
  const fanSides = opts.sides;
  const seqSides = ['rune', 'ssh'];
  const res = {};
  for (const sd of fanSides) res[`${sd}.fan`] = { ms: [], cpu: [], sshd: [], connections: 0 };
  for (const sd of seqSides) res[`${sd}.seq`] = { ms: [], cpu: [], sshd: [], connections: 0 };
  const serverCpu = () => fleet.cpuSeconds();
  const measure = async (side, kind, label, fn) => {
    const left = await fleet.quiesce();
    if (left > 0) log(`  (note: ${left} sshd session processes still alive before ${label})`);
    const s0 = serverCpu();
    const r = await fn();
    await fleet.quiesce();
    const sshd = serverCpu() - s0;
    const slot = res[`${side}.${kind}`];
    slot.ms.push(r.ms);
    slot.cpu.push(r.cpu);
    slot.sshd.push(sshd);
    slot.connections = r.connections;
    log(
      `  ${label.padEnd(28)} ${secs(r.ms).padStart(7)}  ` +
        `(${String(r.connections).padStart(3)} connection${r.connections === 1 ? ' ' : 's'}; ` +
        `CPU: client ${r.cpu.toFixed(2)}s, sshd side ${sshd.toFixed(2)}s)`,
    );
  };
  for (let rep = 0; rep < opts.repeat; rep++) {
    log(`repeat ${rep + 1}/${opts.repeat} (load ${loadavg()})`);
    const flip = rep % 2 === 1; // ABBA: no side always goes first
    for (const side of flip ? [...fanSides].reverse() : fanSides)
      await measure(side, 'fan', `${LABEL[side]} fan-out`, impl[side].fanout);
    if (opts.sequential > 0) {
      for (const side of flip ? [...seqSides].reverse() : seqSides)
        await measure(side, 'seq', `${LABEL[side]} sequential`, impl[side].sequential);
    }
  }

  const leftovers = fs.readdirSync(fleet.remoteTmp);
  if (leftovers.length > 0)
    log(`warning: ${leftovers.length} entries left in the remote TMPDIR (wrapper clean-up failed?)`);

  const summary = {};
  for (const key of Object.keys(res)) {
    const v = res[key];
    if (v.ms.length)
      summary[key] = { wall: stats(v.ms), clientCpu: stats(v.cpu), sshdCpu: stats(v.sshd), connections: v.connections };
  }
  const paired = (a, b) => a.map((x, i) => (x / b[i]).toFixed(2)).join(' ');
  const range = (st) => `${secs(st.min)}–${secs(st.max)}`;
  log('');
  log(`load average at end: ${loadavg()}; ${opts.repeat} repeat(s); medians, (min–max)`);
  log(`fan-out, ${opts.nodes} nodes, ${opts.parallel} at a time:`);
  for (const side of fanSides) {
    const f = summary[`${side}.fan`];
    log(
      `  ${LABEL[side].padEnd(24)} ${secs(f.wall.median).padStart(7)} (${range(f.wall)})  ` +
        `CPU client ${f.clientCpu.median.toFixed(2)}s + sshd side ${f.sshdCpu.median.toFixed(2)}s`,
    );
  }
  const ratios = {};
  const ratio = (a, b, what, target) => {
    if (!res[`${a}.fan`] || !res[`${b}.fan`]) return;
    const r = summary[`${a}.fan`].wall.median / summary[`${b}.fan`].wall.median;
    ratios[`${a}/${b}`] = r;
    log(
      `  ratio ${what.padEnd(40)} ${r.toFixed(2)} (per repeat ${paired(res[`${a}.fan`].ms, res[`${b}.fan`].ms)})` +
        (target ? `  target ≤ ${target}: ${r <= target ? 'met' : 'MISSED'}` : ''),
    );
  };
  ratio('cli', 'echo', 'RUNE CLI / OpenSSH echo ok', TARGET_RATIO);
  ratio('cli', 'ssh', 'RUNE CLI / OpenSSH RUNE cmd');
  ratio('rune', 'echo', 'RUNE in-process / OpenSSH echo ok');
  ratio('rune', 'ssh', 'RUNE in-process / OpenSSH RUNE cmd');
  ratio('ssh', 'echo', 'OpenSSH RUNE cmd / OpenSSH echo ok');
  ratio('cli', 'echo-x25519', 'RUNE CLI / OpenSSH echo ok, x25519 kex');
  if (res['rune.fan']) log(`  RUNE in-process opened ${summary['rune.fan'].connections} connections`);
  let seqRatio = null;
  if (opts.sequential > 0) {
    const sr = summary['rune.seq'];
    const so = summary['ssh.seq'];
    seqRatio = sr.wall.median / so.wall.median;
    log(
      `sequential ${opts.sequential} runs, 1 node: ` +
        `RUNE ${secs(sr.wall.median)} (${sr.connections} connection${sr.connections === 1 ? '' : 's'})  ` +
        `OpenSSH ${secs(so.wall.median)} (${so.connections} connections)  ratio ${seqRatio.toFixed(2)}`,
    );
    log(
      `  RUNE ${range(sr.wall)}, OpenSSH ${range(so.wall)}, ` +
        `per-repeat ratios ${paired(res['rune.seq'].ms, res['ssh.seq'].ms)}; ` +
        `per run: RUNE ${(sr.wall.median / opts.sequential).toFixed(1)} ms, ` +
        `OpenSSH ${(so.wall.median / opts.sequential).toFixed(1)} ms`,
    );
    log(
      `  CPU median: RUNE client ${sr.clientCpu.median.toFixed(2)}s + sshd ${sr.sshdCpu.median.toFixed(2)}s; ` +
        `OpenSSH client ${so.clientCpu.median.toFixed(2)}s + sshd ${so.sshdCpu.median.toFixed(2)}s`,
    );
  }
  if (opts.json) {
    log(
      JSON.stringify({
        nodes: opts.nodes,
        parallel: opts.parallel,
        repeat: opts.repeat,
        sequential: opts.sequential,
        action,
        nproc: nproc(),
        loadavg: os.loadavg(),
        ratios,
        sequentialRatio: seqRatio,
        target: TARGET_RATIO,
        summary,
      }),
    );
  }
  clearTimeout(timer);
  const target = ratios['cli/echo'];
  return opts.check && (target === undefined || target > TARGET_RATIO) ? 1 : 0;
}

main()
  .then(async (code) => {
    await teardown();
    process.exit(code);
  })
  .catch(async (err) => {
    process.stderr.write(`bench/fanout: ${err && err.stack ? err.stack : String(err)}\n`);
    if (cleanup.fleet && cleanup.fleet.log()) process.stderr.write(`sshd said: ${cleanup.fleet.log()}\n`);
    await teardown();
    process.exit(2);
  });
