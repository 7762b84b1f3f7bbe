import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './alertmanager';
import { track } from './live-resources';
import { makeTempDir, removeTempDir } from './temp-dir';
import { waitFor } from './wait-for';

/** Debian's prometheus package (scripts/install-test-deps.sh installs it for promtool). */
export const PROMETHEUS_BIN = '/usr/bin/prometheus';

export interface TestPrometheus {
  url: string;
  log(): string;
  /** Stops it (TERM, then KILL after 5 s) and removes its folder; idempotent. */
  stop(): Promise<void>;
}

/** A real Prometheus on 127.0.0.1 that scrapes nothing: for instant queries such as `vector(time()) < T`. */
export async function startPrometheus(): Promise<TestPrometheus> {
  const dir = makeTempDir('prometheus');
  const logFile = join(dir, 'prometheus.log');
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\n');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const fd = openSync(logFile, 'a');
  let proc: ChildProcess;
  try {
    proc = spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', fd, fd] },
    );
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  let stopping: Promise<void> | null = null;
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
  const untrack = track(`prometheus on ${url} (${dir})`, stop);
  try {
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`prometheus exited ${proc.exitCode}:\n${log()}`);
        return fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).then(
          (r) => r.ok,
          () => false,
        );
      },
      () => `prometheus on ${url} to be ready:\n${log()}`,
      20_000,
      100,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, log, stop };
}
