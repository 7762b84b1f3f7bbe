import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resumePendingIncidents } from '../app/match-pending-incident';
import type { RuneMetrics } from '../app/create-metrics';
import { openService } from '../app/open-service';
import { createAlertmanagerApi } from '../reporters/alertmanager-api';
import { RuneError } from '../core/errors';
import { closedBreaker } from '../core/guard-state';
import type { Logger } from '../core/logger';
import type { TransportKind } from '../core/types';
import type { GuardCounters } from '../guards/guard-counters';
import type { JobQueue } from '../jobs/job-queue-types';
import type { Store } from '../store/store';
import type { Transport } from '../transports/transport';
import { createApp } from '../http/create-app';
import { LOOPBACK_NAMES } from '../http/loopback-host-only';
import type { ServeSettings, Settings } from '../settings/read-settings';
import { readTokensFile } from '../auth/read-tokens-file';
import { readFileSync } from 'node:fs';

export interface StartOptions {
  settings: Settings;
  serve: ServeSettings;
  log: Logger;
  createTransports: (s: Settings) => Partial<Record<TransportKind, Transport>>;
  fetch?: typeof fetch;
  now?: () => Date;
}

export interface RunningServer {
  url: string;
  port: number;
  store: Store;
  queue: JobQueue;
  counters: GuardCounters;
  metrics: RuneMetrics;
  reload(): { ok: boolean; problems: string[] };
  /** Stops accepting (webhooks 503), lets running jobs finish up to `graceMs`, closes everything. */
  close(graceMs?: number): Promise<void>;
}

/** Request bodies above 2 MiB are refused (docs/api.md). */
const BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/** `rune serve`: the service (store, queue, reporters) behind its HTTP surface, listening. */
export async function startServer(o: StartOptions): Promise<RunningServer> {
  const { serve, settings, log } = o;
  // Checked before anything is opened: an invalid tokens file stops the start-up (docs/security.md).
  const readText = (p: string) => readFileSync(p, 'utf8');
  const apiTokens = serve.apiTokensFile ? readTokensFile(serve.apiTokensFile, readText) : [];
  const service = openService({
    rules: settings,
    apiTokensFile: serve.apiTokensFile,
    apiTokens,
    reporterSecrets: {
      pagerdutyToken: serve.pagerdutyToken,
      pagerdutyApiUrl: serve.pagerdutyApiUrl,
      ...(o.fetch ? { fetch: o.fetch } : {}),
    },
    secrets: [
      ...serve.webhookTokens.map((t) => t.token),
      ...serve.pagerdutySecrets,
      ...(serve.pagerdutyToken ? [serve.pagerdutyToken] : []),
      ...(serve.dbPassword ? [serve.dbPassword] : []),
      ...(serve.pagerdutyRoutingKey ? [serve.pagerdutyRoutingKey] : []),
    ],
    dbPath: serve.dbPath,
    dbPassword: serve.dbPassword,
    leaseMs: serve.leaseMs,
    concurrency: serve.concurrency,
    dryRun: serve.dryRun,
    publicUrl: serve.publicUrl,
    fallbackUser: settings.fallbackUser,
    webhookRetention: serve.webhookRetention,
    transports: o.createTransports(settings),
    log,
    ...(o.now ? { now: o.now } : {}),
    verify: {
      alertmanager: serve.alertmanagerUrls.length
        ? createAlertmanagerApi({ urls: serve.alertmanagerUrls, ...(o.fetch ? { fetch: o.fetch } : {}) })
        : null,
      prometheusUrl: serve.prometheusUrl,
      intervalMs: serve.verifyIntervalMs,
      ...(o.fetch ? { fetch: o.fetch } : {}),
    },
    escalation: {
      eventsUrl: serve.pagerdutyEventsUrl,
      routingKey: serve.pagerdutyRoutingKey,
      ...(o.fetch ? { retry: { fetch: o.fetch } } : {}),
    },
  });
  const { ctx } = service;
  const auth = {
    webhookTokens: serve.webhookTokens,
    pagerdutySecrets: serve.pagerdutySecrets,
    insecureNoAuth: serve.insecureNoAuth,
  };
  const app = createApp(ctx, { auth, reload: service.reload, bodyLimitBytes: BODY_LIMIT_BYTES });
  ctx.metrics.setSources({
    paused: () => ctx.store.getPause() !== null,
    breakers: () => {
      const stored = ctx.store.listBreakers();
      const known = new Set(stored.map((b) => b.rule));
      const configured = [...ctx.runtime().guards.keys()].filter((r) => !known.has(r));
      return [...stored, ...configured.map((r) => closedBreaker(r))];
    },
    jobsRunning: () => ctx.queue.running(),
    jobsWaiting: () => ctx.queue.waiting(),
    sshPoolSize: () => service.sshPoolSize(),
    ready: () => ctx.accepting(),
  });

  let server: Server;
  try {
    server = await new Promise((resolve, reject) => {
      const s = app.listen(serve.port, serve.host);
      s.once('listening', () => resolve(s));
      s.once('error', (err) => {
        const why = (err as NodeJS.ErrnoException).code ?? err.message;
        reject(new RuneError('USAGE', `cannot listen on ${serve.host}:${serve.port}: ${why}`));
      });
    });
  } catch (err) {
    await service.drain(0);
    await service.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  service.start(); // queued jobs from before a restart run now
  if (ctx.pagerduty()) resumePendingIncidents(ctx);
  sayWhatIsClosed(serve, log);
  let closing: Promise<void> | null = null;
  return {
    url: `http://${serve.host.includes(':') ? `[${serve.host}]` : serve.host}:${port}`,
    port,
    store: ctx.store,
    queue: ctx.queue,
    counters: ctx.counters,
    metrics: ctx.metrics,
    reload: service.reload,
    close(graceMs = 30_000) {
      closing ??= (async () => {
        // Keep listening while running jobs finish: webhooks answer 503 (senders retry, docs/protocols.md
        // §1.1, §2.5) and /-/ready says so, which a load balancer needs to drain this instance.
        await service.drain(graceMs);
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeAllConnections();
        await closed;
        await service.close();
      })();
      return closing;
    },
  };
}

/** A newcomer's first question: why does everything answer 401? Say at start which doors are shut. */
function sayWhatIsClosed(serve: ServeSettings, log: Logger): void {
  if (serve.insecureNoAuth) {
    log.warn(
      { flag: '--insecure-no-auth' },
      `every endpoint is open, as admin, to anyone who reaches the port; only requests to ${LOOPBACK_NAMES} ` +
        'are answered (other Host names are refused: DNS rebinding)',
    );
    return;
  }
  if (!serve.apiTokensFile) {
    log.warn(
      { setting: 'RUNE_API_TOKENS_FILE' },
      'the REST API, /metrics and the dashboard refuse every request: no RUNE_API_TOKENS_FILE is set ' +
        '(create one with `RUNE_API_TOKENS_FILE=… rune tokens add NAME --role admin`, then restart with it)',
    );
  }
  if (serve.webhookTokens.length === 0) {
    log.warn(
      { setting: 'RUNE_WEBHOOK_TOKEN' },
      'the Alertmanager webhook refuses every request: set RUNE_WEBHOOK_TOKEN or RUNE_WEBHOOK_TOKEN_FILE',
    );
  }
  if (serve.pagerdutySecrets.length === 0) {
    log.warn(
      { setting: 'RUNE_PAGERDUTY_SECRETS' },
      'the PagerDuty webhook refuses every delivery: set RUNE_PAGERDUTY_SECRETS (or …_FILE) to its signing secret',
    );
  }
}
