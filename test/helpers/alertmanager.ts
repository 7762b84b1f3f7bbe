import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopbackDaemon } from './loopback-daemon';

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

const CONFIG = `route:
  receiver: blackhole
  group_wait: 1h
receivers:
  - name: blackhole
`;

export async function startAlertmanager(): Promise<TestAlertmanager> {
  const { url, log, stop } = await startLoopbackDaemon({
    name: 'alertmanager',
    bin: ALERTMANAGER_BIN,
    prepare: (dir) => writeFileSync(join(dir, 'alertmanager.yml'), CONFIG),
    args: (dir, port) => [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=', // no gossip port: a single instance
      '--log.level=info',
    ],
    readyMs: 15_000,
  });
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
