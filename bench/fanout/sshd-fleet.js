'use strict';
/**
 * A throw-away fleet of OpenSSH sshd daemons on loopback for the fan-out benchmark: the same
 * approach as test/helpers/sshd.ts, in plain JS. One host key, one user key, one port; every
 * address is a "node". Only 127.0.0.0/8 is ever bound (never 0.0.0.0), and one daemon serves at
 * most 15 addresses because OpenSSH listens on at most 16 sockets (MAX_LISTEN_SOCKS).
 */
const { execFileSync, spawn } = require('node:child_process');
const { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } = require('node:fs');
const net = require('node:net');
const { join } = require('node:path');

const SSHD = ['/usr/sbin/sshd', '/usr/bin/sshd'].find((p) => existsSync(p));
const USER = 'rune-test';
const PER_DAEMON = 15;

/** Node i (0-based) → 127.0.1.1, 127.0.1.2, … 127.0.1.254, 127.0.2.1, … */
function nodeAddress(i) {
  return `127.0.${1 + Math.floor(i / 254)}.${(i % 254) + 1}`;
}

function keygen(path, comment) {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

/** The unprivileged login (shell /bin/sh, so no start-up file distorts timings), as the tests use. */
function ensureUser(log) {
  try {
    execFileSync('id', [USER], { stdio: 'ignore' });
  } catch {
    log(`creating user ${USER} (shell /bin/sh, no password login), as test/helpers/sshd.ts does`);
    execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', '--password', '*', USER], { stdio: 'ignore' });
  }
}

/**
 * A scratch CPU-accounting cgroup for the daemons and everything they start. Needed because the
 * post-auth sshd (and so the shell and the plugin) is orphaned when its privsep monitor exits, so
 * its CPU never reaches the listener's cutime. cgroup v1 cpuacct, else v2; null if neither works.
 */
function makeCgroup() {
  const tries = [
    {
      base: '/sys/fs/cgroup/cpuacct',
      probe: 'cpuacct.usage',
      read: (d) => Number(readFileSync(join(d, 'cpuacct.usage'), 'utf8')) / 1e9,
    },
    {
      base: '/sys/fs/cgroup',
      probe: 'cgroup.controllers',
      read: (d) => Number(/usage_usec (\d+)/.exec(readFileSync(join(d, 'cpu.stat'), 'utf8'))[1]) / 1e6,
    },
  ];
  for (const t of tries) {
    if (!existsSync(join(t.base, t.probe))) continue;
    const dir = join(t.base, `rune-bench-${process.pid}`);
    try {
      mkdirSync(dir);
      t.read(dir);
      return { dir, cpuSeconds: () => t.read(dir) };
    } catch {
      try {
        rmdirSync(dir);
      } catch {
        /* never made */
      }
    }
  }
  return null;
}

function liveProcs(cgroupDir) {
  return readFileSync(join(cgroupDir, 'cgroup.procs'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat[stat.lastIndexOf(')') + 2] !== 'Z';
      } catch {
        return false;
      }
    });
}

function procCpuSeconds(pid, clkTck) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return (f[11] + f[12] + f[13] + f[14]) / clkTck; // own + reaped descendants
  } catch {
    return 0;
  }
}

function freePort(host) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(host, port) {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitListening(addresses, port, proc, getLog) {
  const deadline = Date.now() + 10_000;
  for (const a of addresses) {
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`sshd exited (${proc.exitCode ?? proc.signalCode}): ${getLog()}`);
      if (await canConnect(a, port)) break;
      if (Date.now() > deadline) throw new Error(`sshd did not listen on ${a}:${port}: ${getLog()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * Starts ceil(n/15) daemons in `dir` (which the caller owns and removes). Returns the fleet;
 * `stop()` is idempotent and safe to call from signal handlers.
 */
async function startFleet({ dir, nodes, log = () => {} }) {
  if (!SSHD) throw new Error('sshd not found (apt-get install -y openssh-server)');
  if (process.getuid && process.getuid() !== 0)
    throw new Error('sshd needs root here (privilege separation, switching to the test user): run as root');
  ensureUser(log);
  chmodSync(dir, 0o755); // the user's sshd child reads authorized_keys from here
  const remoteTmp = join(dir, 'remote-tmp');
  mkdirSync(remoteTmp);
  chmodSync(remoteTmp, 0o1777);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir
  const hostPub = keygen(join(dir, 'host_ed25519'), 'rune-bench-host');
  const userPub = keygen(join(dir, 'user_ed25519'), 'rune-bench-user');
  writeFileSync(join(dir, 'authorized_keys'), `${userPub}\n`, { mode: 0o644 });
  const addresses = Array.from({ length: nodes }, (_, i) => nodeAddress(i));
  const port = await freePort(addresses[0]);
  const common = [
    `HostKey ${join(dir, 'host_ed25519')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'PermitRootLogin no',
    'MaxStartups 500:30:1000',
    'MaxSessions 20',
    'LogLevel ERROR',
    `SetEnv TMPDIR=${remoteTmp}`,
  ];
  const procs = [];
  const cgroup = makeCgroup();
  const clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  let stderrLog = '';
  const getLog = () => stderrLog;
  const fleet = {
    dir,
    port,
    addresses,
    user: USER,
    userKey: join(dir, 'user_ed25519'),
    knownHosts: join(dir, 'known_hosts'),
    remoteTmp,
    pids: () => procs.map((p) => p.pid),
    log: getLog,
    /**
     * CPU seconds of the whole server side so far: with the cgroup, every process the daemons
     * started (sshd pre- and post-auth, shells, plugins); without it, only what the daemons reaped
     * (listener, privsep monitors, pre-auth children: no sessions, no plugins).
     */
    cpuAccounting: cgroup ? `cgroup ${cgroup.dir}` : 'partial (no cgroup: sessions and plugins not counted)',
    cpuSeconds() {
      if (cgroup) return cgroup.cpuSeconds();
      return procs.reduce((a, p) => a + procCpuSeconds(p.pid, clkTck), 0);
    },
    /** Per-connection processes of our daemons still alive (not zombies). */
    sessionCount() {
      const daemons = new Set(procs.map((p) => p.pid));
      if (cgroup) return liveProcs(cgroup.dir).filter((pid) => !daemons.has(pid)).length;
      const parents = daemons;
      let n = 0;
      for (const e of readdirSync('/proc')) {
        if (!/^\d+$/.test(e)) continue;
        try {
          const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          if (fields[0] !== 'Z' && parents.has(Number(fields[1]))) n++;
        } catch {
          /* gone */
        }
      }
      return n;
    },
    /** Waits until no per-connection sshd is left from a previous measurement (max `ms`). */
    async quiesce(ms = 10_000) {
      const deadline = Date.now() + ms;
      while (fleet.sessionCount() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return fleet.sessionCount();
    },
    stop() {
      if (!stopping) stopping = stopAll();
      return stopping;
    },
  };
  let stopping = null;
  function stopAll() {
    const waits = [];
    for (const p of procs) {
      if (p.exitCode === null && p.signalCode === null) {
        waits.push(new Promise((r) => p.once('exit', r)));
        try {
          p.kill('SIGTERM');
        } catch {
          /* already gone */
        }
      }
    }
    const exited = Promise.race([Promise.all(waits), new Promise((r) => setTimeout(r, 3000).unref())]);
    if (!cgroup) return exited;
    return exited.then(async () => {
      // Sessions end on their own once the clients are gone; then the scratch cgroup can go.
      for (let i = 0; i < 60; i++) {
        if (i === 30) {
          // Still there after 1.5 s (a hung session?): end what our daemons started, by pid.
          for (const pid of liveProcs(cgroup.dir)) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              /* gone */
            }
          }
        }
        try {
          rmdirSync(cgroup.dir);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      process.stderr.write(
        `bench/fanout: could not remove cgroup ${cgroup.dir} (processes left: ${liveProcs(cgroup.dir).join(' ')})\n`,
      );
    });
  }
  try {
    for (let i = 0; i < addresses.length; i += PER_DAEMON) {
      const chunk = addresses.slice(i, i + PER_DAEMON);
      const n = i / PER_DAEMON;
      const cfg = join(dir, `sshd_config.${n}`);
      writeFileSync(
        cfg,
        [...chunk.map((a) => `ListenAddress ${a}:${port}`), `PidFile ${join(dir, `sshd.${n}.pid`)}`, ...common].join(
          '\n',
        ) + '\n',
      );
      const proc = spawn(SSHD, ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
      proc.stderr.on('data', (c) => {
        stderrLog = (stderrLog + c.toString()).slice(-4000);
      });
      proc.on('error', (err) => {
        stderrLog += `\nspawn ${SSHD}: ${err.message}`;
      });
      procs.push(proc);
      if (cgroup) writeFileSync(join(cgroup.dir, 'cgroup.procs'), String(proc.pid)); // before it accepts anything
      await waitListening(chunk, port, proc, getLog);
    }
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  const hostKey = hostPub.split(' ').slice(0, 2).join(' ');
  writeFileSync(fleet.knownHosts, addresses.map((a) => `[${a}]:${port} ${hostKey}`).join('\n') + '\n');
  return fleet;
}

module.exports = { startFleet, nodeAddress, USER };
