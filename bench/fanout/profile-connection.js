#!/usr/bin/env node
'use strict';
/**
 * Where one SSH run's cost goes, for reading bench/fanout results: K fresh connections one after
 * another (no overlap, so nothing competes) on a loopback sshd, each running one short command,
 * from ssh2 (as RUNE's transport uses it) and from OpenSSH `ssh`. Prints per connection: wall
 * time, client CPU, sshd-side CPU (scratch cgroup: every process the daemon started), and for ssh2
 * the phases TCP connect → key exchange done → authenticated → command finished.
 *
 *   node bench/fanout/profile-connection.js [--runs 30] [--command true] [--only ssh2|openssh]
 *
 * Needs root (sshd) and ssh2 from node_modules/. Not part of the figures in docs/benchmarks.md's
 * tables; used for the reading of them.
 */
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startFleet } = require('./sshd-fleet');

const ROOT = path.resolve(__dirname, '..', '..');
const { Client } = require(require.resolve('ssh2', { paths: [ROOT] }));

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const RUNS = Number(opt('--runs', '30'));
const COMMAND = opt('--command', 'true');
const ONLY = opt('--only', null);

const cpuSelf = () => {
  const u = process.cpuUsage();
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return (u.user + u.system) / 1e6 + (f[13] + f[14]) / 100;
};
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function ssh2Once(fleet, key, algorithms) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const marks = {};
    const c = new Client();
    c.on('error', reject);
    c.on('handshake', () => (marks.kex = performance.now() - t0));
    c.on('ready', () => {
      marks.auth = performance.now() - t0;
      c.exec(COMMAND, (err, ch) => {
        if (err) return reject(err);
        ch.resume();
        ch.stderr.resume();
        ch.on('close', () => {
          marks.done = performance.now() - t0;
          c.end();
          resolve(marks);
        });
        ch.end();
      });
    });
    c.connect({
      host: fleet.addresses[0],
      port: fleet.port,
      username: fleet.user,
      privateKey: key,
      hostVerifier: () => true,
      ...(algorithms ? { algorithms } : {}),
    });
    c._sock?.once?.('connect', () => (marks.tcp = performance.now() - t0));
  });
}

async function measure(label, fleet, once) {
  const walls = [];
  const clients = [];
  const servers = [];
  const phases = [];
  for (let i = 0; i < RUNS; i++) {
    await fleet.quiesce();
    const s0 = fleet.cpuSeconds();
    const c0 = cpuSelf();
    const t0 = performance.now();
    const m = await once();
    walls.push(performance.now() - t0);
    clients.push((cpuSelf() - c0) * 1000);
    await fleet.quiesce();
    servers.push((fleet.cpuSeconds() - s0) * 1000);
    if (m) phases.push(m);
  }
  let ph = '';
  if (phases.length) {
    const p = (k) => med(phases.map((x) => x[k] ?? NaN)).toFixed(1);
    ph = `  phases (ms from start): kex done ${p('kex')}, authenticated ${p('auth')}, command done ${p('done')}`;
  }
  console.log(
    `${label.padEnd(44)} wall ${med(walls).toFixed(1).padStart(6)} ms  ` +
      `client CPU ${med(clients).toFixed(1).padStart(6)} ms  sshd CPU ${med(servers).toFixed(1).padStart(6)} ms${ph}`,
  );
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rune-prof-'));
  let fleet;
  const stop = async () => {
    if (fleet) await fleet.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => stop().finally(() => process.exit(130)));
  try {
    fleet = await startFleet({ dir, nodes: 1 });
    const nproc = os.cpus().length;
    const load = os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
    console.log(
      `nproc ${nproc}, load ${load}; ${RUNS} sequential connections each, command ${JSON.stringify(COMMAND)}; ` +
        `medians; sshd CPU via ${fleet.cpuAccounting}`,
    );
    const key = fs.readFileSync(fleet.userKey);
    const sshArgs = (extra) => [
      '-F',
      '/dev/null',
      '-T',
      '-i',
      fleet.userKey,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'IdentityAgent=none',
      '-o',
      `UserKnownHostsFile=${fleet.knownHosts}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'ControlMaster=no',
      '-o',
      'ControlPath=none',
      '-o',
      'LogLevel=ERROR',
      ...extra,
      '-p',
      String(fleet.port),
      `${fleet.user}@${fleet.addresses[0]}`,
      COMMAND,
    ];
    const sshOnce = (extra) => async () => {
      const r = spawnSync('ssh', sshArgs(extra), { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`ssh exited ${r.status}: ${r.stderr}`);
      return null;
    };
    await ssh2Once(fleet, key); // warm-up: JIT, page cache
    await sshOnce([])();
    if (ONLY !== 'openssh')
      await measure('ssh2 (RUNE defaults: curve25519, aes-gcm)', fleet, () => ssh2Once(fleet, key));
    if (ONLY !== 'ssh2') await measure('OpenSSH ssh (defaults: sntrup761x25519)', fleet, sshOnce([]));
    if (!ONLY)
      await measure(
        'OpenSSH ssh, KexAlgorithms=curve25519-sha256',
        fleet,
        sshOnce(['-o', 'KexAlgorithms=curve25519-sha256', '-o', 'Ciphers=aes128-gcm@openssh.com']),
      );
    if (!ONLY)
      await measure('ssh2, chacha20-poly1305', fleet, () =>
        ssh2Once(fleet, key, { cipher: ['chacha20-poly1305@openssh.com'] }),
      );
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) execFileSync('/bin/sh', ['-c', COMMAND]);
    console.log(
      'for scale: the command itself locally (sh -c, fork+exec from node) ' +
        `${((performance.now() - t0) / 20).toFixed(1)} ms`,
    );
  } finally {
    await stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
