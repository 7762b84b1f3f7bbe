import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeTracked, track } from './live-resources';
import { processTree, signalAll } from './process-tree';
import { waitFor } from './wait-for';

/** A throw-away OpenSSH sshd on loopback, with its own host key, user key and remote TMPDIR. */
export interface TestSshd {
  port: number;
  dir: string;
  /** Private key that the server accepts. */
  userKey: string;
  /** A second key that the server does not accept. */
  wrongKey: string;
  /** `ssh-ed25519 AAAA…` of the server's host key. */
  hostKeyLine: string;
  /** known_hosts file listing the host key for every listen address. */
  knownHosts: string;
  /** The TMPDIR plugins see on the "remote" side (sshd SetEnv). */
  remoteTmp: string;
  /** A directory both the tests and the remote user can write. */
  shared: string;
  user: string;
  addresses: string[];
  /** Stops every daemon (also one a test killed itself) and removes the folder; idempotent. */
  stop(): Promise<void>;
  /** Writes a known_hosts file with `lines` and returns its path. */
  writeKnownHosts(name: string, lines: string[]): string;
}

const SSHD = ['/usr/sbin/sshd', '/usr/bin/sshd'].find((p) => existsSync(p));

export function sshdAvailable(): boolean {
  return SSHD !== undefined;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function keygen(path: string, comment: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

async function waitForPort(host: string, port: number, proc: ChildProcess, log: () => string): Promise<void> {
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`sshd exited ${proc.exitCode}: ${log()}`);
      return new Promise<boolean>((resolve) => {
        const s = connect(port, host);
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
    },
    () => `sshd to listen on ${host}:${port}: ${log()}`,
    10_000,
    50,
  );
}

/**
 * The unprivileged login the tests use. Its shell is /bin/sh so that no shell start-up file of
 * this machine (root's .bashrc runs pyenv here, ~0.5 s per session) distorts timings.
 */
export const TEST_USER = 'rune-test';

export function ensureTestUser(): void {
  try {
    execFileSync('id', [TEST_USER], { stdio: 'ignore' });
  } catch {
    // password '*': no password login, but not "locked" (sshd without PAM refuses locked accounts).
    execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', '--password', '*', TEST_USER], { stdio: 'ignore' });
  }
}

export interface SshdOptions {
  addresses?: string[];
  port?: number;
  /** More sshd_config lines (e.g. `PermitOpen …` for a jump host). */
  extraConfig?: string[];
  /** Private key of another TestSshd whose user may log in here too (its `.pub` is authorized). */
  alsoAccept?: string;
}

/** Starts sshd listening on `addresses` (all on one port). Requires root (as CI runs). */
export async function startSshd(opts: SshdOptions = {}): Promise<TestSshd> {
  if (!SSHD) throw new Error('sshd not found: apt-get install -y openssh-server (see .ci/run)');
  ensureTestUser();
  const addresses = opts.addresses ?? ['127.0.0.1'];
  const dir = mkdtempSync(join(tmpdir(), 'rune-sshd-'));
  chmodSync(dir, 0o755); // the test user's sshd child reads authorized_keys from here
  const remoteTmp = join(dir, 'remote-tmp');
  const shared = join(dir, 'shared');
  for (const d of [remoteTmp, shared]) {
    mkdirSync(d);
    chmodSync(d, 0o1777);
  }
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir
  const hostPub = keygen(join(dir, 'host_ed25519'), 'rune-test-host');
  const userPub = keygen(join(dir, 'user_ed25519'), 'rune-test-user');
  keygen(join(dir, 'wrong_ed25519'), 'rune-test-wrong');
  const other = opts.alsoAccept ? `${readFileSync(`${opts.alsoAccept}.pub`, 'utf8').trim()}\n` : '';
  writeFileSync(join(dir, 'authorized_keys'), `${userPub}\n${other}`, { mode: 0o644 });
  const port = opts.port ?? (await freePort(addresses[0]));
  // OpenSSH listens on at most 16 sockets (MAX_LISTEN_SOCKS), and binding 0.0.0.0 on the host is
  // not allowed here: so one daemon per 15 addresses, all with the same keys and settings.
  const common = [
    `HostKey ${join(dir, 'host_ed25519')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password',
    'MaxStartups 500:30:1000',
    'MaxSessions 20',
    'LogLevel ERROR',
    `SetEnv TMPDIR=${remoteTmp}`,
    ...(opts.extraConfig ?? []),
  ];
  // sshd -e logs to a file, not a pipe: its per-connection children inherit that descriptor, and a
  // pipe held by them would keep jest waiting after the daemon itself has gone.
  const logs: string[] = [];
  const log = () =>
    logs
      .map((p) => {
        try {
          return readFileSync(p, 'utf8');
        } catch {
          return '';
        }
      })
      .join('')
      .slice(-4000);
  const daemons: { proc: ChildProcess; exited: Promise<unknown> }[] = [];
  let stopping: Promise<void> | null = null;
  let untrack: () => void = () => undefined;
  // Ends each daemon with its sessions (and what runs in them) and waits until the daemon has exited:
  // an 'exit' already emitted (a daemon a test killed itself) is awaited through the same promise.
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const d of daemons)
        if (d.proc.exitCode === null && d.proc.signalCode === null)
          signalAll(processTree(d.proc.pid as number), 'SIGTERM');
      await Promise.all(daemons.map((d) => d.exited));
      rmSync(dir, { recursive: true, force: true });
      untrack();
    })());
  untrack = track(`sshd on ${addresses.join(',')} (${dir})`, stop);
  try {
    for (let i = 0; i < addresses.length; i += 15) {
      const chunk = addresses.slice(i, i + 15);
      const cfg = join(dir, `sshd_config.${i / 15}`);
      writeFileSync(
        cfg,
        [
          ...chunk.map((a) => `ListenAddress ${a}:${port}`),
          `PidFile ${join(dir, `sshd.${i / 15}.pid`)}`,
          ...common,
        ].join('\n') + '\n',
      );
      const logFile = join(dir, `sshd.${i / 15}.log`);
      logs.push(logFile);
      const fd = openSync(logFile, 'a');
      let proc: ChildProcess;
      try {
        proc = spawn(SSHD, ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', fd] });
      } finally {
        closeSync(fd);
      }
      const exited = new Promise((r) => proc.once('exit', r));
      daemons.push({ proc, exited });
      await waitForPort(chunk[0] as string, port, proc, log);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const hostKeyLine = hostPub.split(' ').slice(0, 2).join(' ');
  const writeKnownHosts = (name: string, lines: string[]) => {
    const p = join(dir, name);
    writeFileSync(p, lines.join('\n') + '\n');
    return p;
  };
  const knownHosts = writeKnownHosts(
    'known_hosts',
    addresses.map((a) => `[${a}]:${port} ${hostKeyLine}`),
  );
  return {
    port,
    dir,
    userKey: join(dir, 'user_ed25519'),
    wrongKey: join(dir, 'wrong_ed25519'),
    hostKeyLine,
    knownHosts,
    remoteTmp,
    user: TEST_USER,
    shared,
    addresses,
    writeKnownHosts,
    stop,
  };
}

export interface SilentListener {
  port: number;
  /** Drops the accepted connections and stops listening; idempotent. */
  close(): Promise<void>;
}

/**
 * Stand-in for a blackholed address: loopback TCP that accepts and never says a word, so only a
 * connect timeout can end the wait (as a dropped SYN would, without leaving loopback).
 */
export async function startSilentListener(host = '127.0.0.1'): Promise<SilentListener> {
  const sockets: Socket[] = [];
  const server = createServer((s) => void sockets.push(s));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const port = (server.address() as { port: number }).port;
  let closing: Promise<void> | null = null;
  return {
    port,
    close: closeTracked(`silent listener ${host}:${port}`, () => {
      closing ??= new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      });
      return closing;
    }),
  };
}
