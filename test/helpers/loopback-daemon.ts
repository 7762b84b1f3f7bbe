import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { track } from './live-resources';
import { freePort } from './sshd';
import { makeTempDir, removeTempDir } from './temp-dir';
import { waitFor } from './wait-for';

/** A daemon started by a test on 127.0.0.1 (Alertmanager, Prometheus): its folder, URL, log and stop. */
export interface LoopbackDaemon {
  dir: string;
  url: string;
  /** Its log so far (for failure messages). */
  log(): string;
  /** Stops it (TERM, then KILL after 5 s) and removes its folder; idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `bin` with `args(dir, port)` (`prepare(dir)` writes its config first) on a free port of
 * 127.0.0.1, its output in `<dir>/<name>.log`, and waits for `GET /-/ready` (Prometheus-style) up to
 * `readyMs`; registered for the leak guard. A daemon that exits or never gets ready fails the start.
 */
export async function startLoopbackDaemon(o: {
  name: string;
  bin: string;
  prepare(dir: string): void;
  args(dir: string, port: number): string[];
  readyMs: number;
}): Promise<LoopbackDaemon> {
  const dir = makeTempDir(o.name);
  const logFile = join(dir, `${o.name}.log`);
  o.prepare(dir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const fd = openSync(logFile, 'a');
  let proc: ChildProcess;
  try {
    proc = spawn(o.bin, o.args(dir, port), { stdio: ['ignore', fd, fd] });
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
  const untrack = track(`${o.name} on ${url} (${dir})`, stop);
  try {
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`${o.name} exited ${proc.exitCode}:\n${log()}`);
        return fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).then(
          (r) => r.ok,
          () => false,
        );
      },
      () => `${o.name} on ${url} to be ready:\n${log()}`,
      o.readyMs,
      100,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, url, log, stop };
}
