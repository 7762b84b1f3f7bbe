import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackDaemon } from './loopback-daemon';

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
  const d = await startLoopbackDaemon({
    name: 'prometheus',
    bin: PROMETHEUS_BIN,
    prepare: (dir) => writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\n'),
    args: (dir, port) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    readyMs: 20_000,
  });
  return { url: d.url, log: d.log, stop: d.stop };
}
