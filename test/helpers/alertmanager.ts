import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { track } from './live-resources';
import { makeTempDir, removeTempDir } from './temp-dir';
import { waitFor } from './wait-for';

/** Debian's prometheus-alertmanager (scripts/install-test-deps.sh installs it). */
export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

/** A real Alertmanager on 127.0.0.1 for one test file: its own storage, no cluster port. */
export interface TestAlertmanager {
  url: string;
  /** Alerts as Prometheus posts them (POST /api/v2/alerts); an `endsAt` in the past resolves one. */
  postAlerts(alerts: { labels: Record<string, string>; startsAt?: string; endsAt?: string }[]): Promise<void>;
  /** GET /api/v2/alerts?filter=…: the alerts Alertmanager holds as active for these labels. */
  alerts(labels: Record<string, string>): Promise<{ fingerprint: string; status: { state: string } }[]>;
  /** GET /api/v2/silences: every silence, with its state (active, pending, expired). */
  silences(): Promise<{ id: string; status: { state: string }; createdBy: string; comment: string }[]>;
  /** Its log so far (for failure messages). */
  log(): string;
  /** Stops it (TERM, then KILL after 5 s) and removes its folder; idempotent. */
  stop(): Promise<void>;
}

/** A port on 127.0.0.1 nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const CONFIG = `route:
  receiver: blackhole
  group_wait: 1h
receivers:
  - name: blackhole
`;

export async function startAlertmanager(): Promise<TestAlertmanager> {
  const dir = makeTempDir('alertmanager');
  const logFile = join(dir, 'alertmanager.log');
  writeFileSync(join(dir, 'alertmanager.yml'), CONFIG);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const fd = openSync(logFile, 'a');
  let proc: ChildProcess;
  try {
    proc = spawn(
      ALERTMANAGER_BIN,
      [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=', // no gossip port: a single instance
        '--log.level=info',
      ],
      { stdio: ['ignore', fd, fd] },
    );
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  let stopping: Promise<void> | null = null;
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const stop = () =>
    (stopping ??= (async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
        clearTimeout(timer);
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill('SIGKILL');
          await exited;
        }
      }
      removeTempDir(dir);
      untrack();
    })());
  const untrack = track(`alertmanager on ${url} (${dir})`, stop);
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`alertmanager ${method} ${path}: HTTP ${res.status} ${text}`);
    return text === '' ? null : (JSON.parse(text) as unknown);
  };
  try {
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`alertmanager exited ${proc.exitCode}:\n${log()}`);
        return fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).then(
          (r) => r.ok,
          () => false,
        );
      },
      () => `alertmanager on ${url} to be ready:\n${log()}`,
      15_000,
      100,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    async postAlerts(alerts) {
      await call('POST', '/api/v2/alerts', alerts);
    },
    async alerts(labels) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(labels)) q.append('filter', `${k}="${v}"`);
      return (await call('GET', `/api/v2/alerts?${q.toString()}`)) as {
        fingerprint: string;
        status: { state: string };
      }[];
    },
    async silences() {
      return (await call('GET', '/api/v2/silences')) as Awaited<ReturnType<TestAlertmanager['silences']>>;
    },
    log,
    stop,
  };
}
