import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatProblem, readConfig } from '../config/read-config';
import { RuneError } from '../core/errors';
import { createGuardCounters, type GuardCounters } from '../guards/guard-counters';
import { nextBreakerState } from '../guards/next-breaker-state';
import { closedBreaker } from '../core/guard-state';
import { nodeLockWaitMs, resolveRuleGuards } from '../guards/resolve-rule-guards';
import { alertRef } from '../jobs/ingest-alerts';
import { createJobQueue, type JobQueue } from '../jobs/job-queue';
import { guardRunsHorizonMs } from '../guards/guard-runs-horizon';
import { runAction } from '../orchestrator/run-action';
import { loadRegistry } from '../plugins/load-registry';
import type { Reporter } from '../reporters/reporter';
import { checkRulesAgainstRegistry } from '../rules/check-rules-against-registry';
import { compileRules } from '../rules/compile-rules';
import { matchRules } from '../rules/match-rules';
import { openSqliteStore } from '../store/sqlite-store';
import { pruneWebhooks } from '../store/prune-webhooks';
import type { Job } from '../core/job';
import type { Store } from '../store/store';
import type { Transport } from '../transports/transport';
import type { Result, TransportKind } from '../core/types';
import { timeOrderedId } from '../util/time-ordered-id';
import { createAuthenticator } from '../auth/create-authenticator';
import { readTokensFile } from '../auth/read-tokens-file';
import { buildReporters } from './build-reporters';
import { createApp, type Runtime } from './create-app';
import type { Logger } from '../core/logger';
import { redactsValues } from './create-logger';
import { createMetrics, type RuneMetrics } from './create-metrics';
import type { ServeSettings, Settings } from '../settings/read-settings';

/** guard_runs pruning: every 10 minutes, up to 20 batches of 5,000 rows each time. */
const GUARD_PRUNE_EVERY_MS = 10 * 60_000;
const GUARD_PRUNE_BATCH = 5000;

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

/** rules.yaml + plugins → the rule engine, checked as a whole: an invalid file never half-loads. */
export function loadRuntime(settings: Settings): Runtime {
  const config = readConfig(settings.configPath, settings.configExplicit);
  const registry = loadRegistry(settings.pluginsDir);
  const problems = checkRulesAgainstRegistry(config, registry);
  if (problems.length > 0) {
    throw new RuneError(
      'CONFIG_INVALID',
      `${config.source} is invalid:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
      { problems },
    );
  }
  const compiled = compileRules(config.rules);
  const guards = new Map(config.rules.map((r) => [r.name, resolveRuleGuards(r, config.defaults.guards, config.nodes)]));
  return { config, registry, match: (alert) => matchRules(compiled, alert), guards };
}

/** `rune serve`: store, queue, reporters and the HTTP app, wired; resumes queued jobs at start. */
export async function startServer(o: StartOptions): Promise<RunningServer> {
  const now = o.now ?? (() => new Date());
  const readText = (p: string) => readFileSync(p, 'utf8');
  // Checked before anything is opened: an invalid tokens file stops the start-up (docs/security.md).
  const apiTokens = o.serve.apiTokensFile ? readTokensFile(o.serve.apiTokensFile, readText) : [];
  const reporterSecrets = {
    pagerdutyToken: o.serve.pagerdutyToken,
    pagerdutyApiUrl: o.serve.pagerdutyApiUrl,
    readFile: readText,
    ...(o.fetch ? { fetch: o.fetch } : {}),
  };
  const metrics = createMetrics();
  /** The rule engine, counting matches (once per alert and rule) in rune_rule_matches_total. */
  const counted = (rt: Runtime): Runtime => ({
    ...rt,
    match: (alert) => {
      const outcome = rt.match(alert);
      for (const rule of new Set(outcome.invocations.map((i) => i.rule))) metrics.ruleMatched(rule);
      return outcome;
    },
  });
  let runtime = counted(loadRuntime(o.settings));
  let notifiers = buildReporters(runtime.config, o.serve.publicUrl, reporterSecrets);
  // Defence in depth beside the logger's key-based redaction: no configured secret value is ever written
  // (API tokens need no entry: RUNE only ever holds their hashes).
  const hideSecrets = () => {
    if (redactsValues(o.log))
      o.log.redactValues([
        ...o.serve.webhookTokens.map((t) => t.token),
        ...o.serve.pagerdutySecrets,
        ...(o.serve.pagerdutyToken ? [o.serve.pagerdutyToken] : []),
        ...notifiers.secrets,
      ]);
  };
  hideSecrets();
  for (const w of notifiers.warnings) o.log.warn({ config: runtime.config.source }, w);
  const store = openSqliteStore(o.serve.dbPath);
  // docs/architecture.md, State: a job that was running when RUNE died is interrupted, and never re-run automatically.
  for (const job of store.interruptRunning(now().toISOString())) {
    o.log.warn(
      {
        job_id: job.id,
        trace_id: job.traceId,
        action: job.request.action,
        node: job.request.node,
        mutating: job.mutating,
      },
      'job was running when RUNE stopped: marked interrupted, not re-run',
    );
  }
  // Webhooks kept for `rune rules replay`: what is past retention goes now, then every minute.
  const retention = o.serve.webhookRetention;
  pruneWebhooks(store, retention, now().getTime(), 10_000);
  const pruneTimer = setInterval(() => {
    try {
      pruneWebhooks(store, retention, now().getTime(), 20);
    } catch (err) {
      o.log.error({ err }, 'cannot prune stored webhooks');
    }
  }, 60_000);
  pruneTimer.unref();
  const transports = o.createTransports(o.settings);
  const counters = createGuardCounters(metrics);
  let accepting = true;

  const report = async (job: Job, result: Result) => {
    const fields = {
      job_id: job.id,
      trace_id: job.traceId,
      rule: job.trigger.rule ?? null,
      action: result.action,
      node: result.node,
      status: result.status,
      duration_ms: result.duration_ms,
      error: result.error?.code ?? null,
    };
    if (result.status === 'succeeded' || result.status === 'skipped')
      o.log.info(fields, `job ${result.status}: ${result.summary}`);
    else o.log.warn(fields, `job ${result.status}: ${result.summary}`);
    metrics.jobFinished(result);
    for (const name of job.notify) {
      const reporter: Reporter | undefined = notifiers.reporters.get(name);
      const delivery = reporter
        ? await reporter.report(result, { alert: job.alert, incident: job.incident })
        : {
            reporter: name,
            ok: false,
            status: null,
            attempts: 0,
            target: null,
            error: `notifier "${name}" is not configured under notify:`,
            at: now().toISOString(),
          };
      store.addDelivery(job.id, delivery);
      metrics.note(name, delivery.ok);
      if (!delivery.ok)
        o.log.warn(
          { job_id: job.id, trace_id: job.traceId, reporter: name, error: delivery.error },
          'report not delivered',
        );
    }
  };
  /**
   * The circuit breaker counts rule runs (docs/safety.md): when one opens, the log says so, the
   * counter moves, and the failing job's notifiers get a note on its incident.
   */
  const ruleRunEnded = (job: Job, result: Result, ok: boolean) => {
    const rule = job.trigger.rule as string;
    const g = runtime.guards.get(rule);
    if (!g) return; // removed by a reload since the run started
    // Refused before any node was contacted (UNKNOWN_NODE, INVALID_PARAMS: the alert's fault, not
    // the remedy's): such a run says nothing about whether the rule works, so it neither counts nor resets.
    if (!ok && result.error?.stage === 'validate') return;
    const at = now().getTime();
    let change: ReturnType<typeof nextBreakerState> | undefined;
    store.updateBreaker(rule, (current) => {
      change = nextBreakerState(
        current,
        { chainId: job.chainId ?? job.id, ok, summary: `${result.action} on ${result.node}: ${result.summary}` },
        g.breaker.failures,
        at,
      );
      return change.next;
    });
    if (change?.closed)
      o.log.info(
        { rule, job_id: job.id, trace_id: job.traceId },
        `circuit breaker of rule ${rule} closed: the probe run succeeded`,
      );
    if (!change?.opened) return;
    const until = new Date(at + g.breaker.probeAfterMs).toISOString();
    const text = `circuit breaker OPEN for rule ${rule}: ${change.next.failures} failed runs in a row (last: ${result.summary}); its alerts are skipped (breaker_open) until an operator closes it (rune breaker close ${rule}) or a probe run after ${until} succeeds`;
    counters.breakerOpened(rule);
    o.log.warn(
      { rule, job_id: job.id, trace_id: job.traceId, failures: change.next.failures, probe_after: until },
      text,
    );
    const note: Result = { ...result, summary: text, error: null };
    void (async () => {
      for (const name of job.notify) {
        const reporter = notifiers.reporters.get(name);
        if (!reporter) continue;
        const delivery = await reporter.report(note, { alert: job.alert, incident: job.incident });
        store.addDelivery(job.id, delivery);
        metrics.note(name, delivery.ok);
        if (!delivery.ok)
          o.log.warn(
            { job_id: job.id, trace_id: job.traceId, reporter: name, error: delivery.error },
            'breaker note not delivered',
          );
      }
    })().catch((err: unknown) =>
      o.log.error({ err, rule, job_id: job.id, trace_id: job.traceId }, 'cannot post the breaker note'),
    );
  };
  const queue = createJobQueue({
    store,
    concurrency: o.serve.concurrency,
    now,
    log: o.log,
    report,
    nodeLockWaitMs: () => nodeLockWaitMs(runtime.config.defaults.guards),
    ruleRunEnded,
    suppressed: (job, reason) => {
      counters.suppressed(reason);
      o.log.warn(
        { job_id: job.id, trace_id: job.traceId, rule: job.trigger.rule ?? null, node: job.request.node },
        `job skipped: ${reason}`,
      );
    },
    run: (job, signal) => {
      const rt = runtime;
      return runAction(
        {
          action: job.request.action,
          node: job.request.node,
          params: job.request.params,
          dryRun: job.request.dryRun,
          pluginDryRun: job.request.pluginDryRun,
          ...(job.request.timeoutMs !== undefined ? { timeoutMs: job.request.timeoutMs } : {}),
          trigger: job.trigger,
          alert: job.alert ? alertRef(job.alert) : null,
          jobId: job.id,
          traceId: job.traceId,
        },
        {
          registry: rt.registry,
          config: rt.config,
          env: { fallbackUser: o.settings.fallbackUser },
          transports,
          readScript: (p) => readFile(p),
          now,
        },
        signal,
      );
    },
  });

  // API tokens: re-read with the rules; an invalid tokens file keeps the old tokens (say why).
  let authenticate = createAuthenticator(apiTokens);
  const reloadTokens = (): string[] => {
    if (!o.serve.apiTokensFile) return [];
    try {
      const tokens = readTokensFile(o.serve.apiTokensFile, readText);
      authenticate = createAuthenticator(tokens);
      o.log.info({ file: o.serve.apiTokensFile, tokens: tokens.length }, 'API tokens reloaded');
      return [];
    } catch (err) {
      const problems = ((err as RuneError).details?.problems as string[] | undefined) ?? [(err as Error).message];
      o.log.error({ problems }, 'tokens reload refused: the file is invalid; the old tokens still serve');
      return problems;
    }
  };
  const reload = (): { ok: boolean; problems: string[] } => {
    const tokenProblems = reloadTokens();
    const rules = reloadRules();
    return { ok: rules.ok && tokenProblems.length === 0, problems: [...rules.problems, ...tokenProblems] };
  };
  const reloadRules = (): { ok: boolean; problems: string[] } => {
    try {
      const next = loadRuntime(o.settings);
      const nextNotifiers = buildReporters(next.config, o.serve.publicUrl, reporterSecrets);
      runtime = counted(next);
      notifiers = nextNotifiers;
      hideSecrets();
      for (const w of notifiers.warnings) o.log.warn({ config: next.config.source }, w);
      o.log.info(
        { config: next.config.source, rules: next.config.rules.length, plugins: next.registry.plugins.size },
        'rules reloaded',
      );
      return { ok: true, problems: [] };
    } catch (err) {
      const problems = (
        (err as RuneError).details?.problems as
          { file: string; line: number | null; path: string; message: string }[] | undefined
      )?.map(formatProblem) ?? [(err as Error).message];
      o.log.error({ problems }, 'reload refused: the new rules are invalid; the old ones still serve');
      return { ok: false, problems };
    }
  };

  const app = createApp({
    store,
    queue,
    runtime: () => runtime,
    auth: {
      webhookTokens: o.serve.webhookTokens,
      pagerdutySecrets: o.serve.pagerdutySecrets,
      authenticate: (credential) => authenticate(credential),
      insecureNoAuth: o.serve.insecureNoAuth,
    },
    pagerduty: notifiers.pagerduty
      ? {
          getIncidentAlerts: async (id) => {
            const client = notifiers.pagerduty;
            if (!client) throw new Error('the PagerDuty REST token was removed by a reload');
            const out = await client.listIncidentAlerts(id);
            if (!out.ok) throw new Error(`GET /incidents/${id}/alerts failed: ${out.error}`);
            return out.value;
          },
          createNote: async (id, content) => {
            const client = notifiers.pagerduty;
            if (!client) throw new Error('the PagerDuty REST token was removed by a reload');
            const out = await client.createNote(id, content);
            if (!out.ok) throw new Error(`POST /incidents/${id}/notes failed: ${out.error}`);
          },
        }
      : null,
    reload,
    accepting: () => accepting,
    publicUrl: o.serve.publicUrl,
    dryRun: o.serve.dryRun,
    fallbackUser: o.settings.fallbackUser,
    bodyLimitBytes: 2 * 1024 * 1024,
    log: o.log,
    now,
    newId: () => timeOrderedId(),
    newTraceId: () => randomUUID().replace(/-/g, ''), // 32 hex digits from the pooled UUID source
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    counters,
    metrics,
    recordWebhooks: retention.maxCount > 0,
  });
  metrics.setSources({
    paused: () => store.getPause() !== null,
    breakers: () => {
      const stored = store.listBreakers();
      const known = new Set(stored.map((b) => b.rule));
      return [...stored, ...[...runtime.guards.keys()].filter((r) => !known.has(r)).map((r) => closedBreaker(r))];
    },
    jobsRunning: () => queue.running(),
    jobsWaiting: () => queue.waiting(),
    sshPoolSize: () => {
      const ssh = transports.ssh as (Transport & { poolSize?: () => number }) | undefined;
      return typeof ssh?.poolSize === 'function' ? ssh.poolSize() : null;
    },
    ready: () => accepting,
  });

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(o.serve.port, o.serve.host);
    s.once('listening', () => resolve(s));
    s.once('error', (err) =>
      reject(
        new RuneError(
          'USAGE',
          `cannot listen on ${o.serve.host}:${o.serve.port}: ${(err as NodeJS.ErrnoException).code ?? err.message}`,
        ),
      ),
    );
  });
  const port = (server.address() as AddressInfo).port;
  queue.resume(); // queued jobs from before a restart run now
  // guard_runs only needs the rows a guard window still reaches (docs/safety.md, State).
  const pruneGuardRuns = () => {
    try {
      const before = now().getTime() - guardRunsHorizonMs(runtime.guards.values());
      let removed = 0;
      for (let i = 0, n = GUARD_PRUNE_BATCH; i < 20 && n === GUARD_PRUNE_BATCH; i++)
        removed += n = store.pruneGuardRuns(before, GUARD_PRUNE_BATCH);
      if (removed > 0) o.log.info({ removed, before: new Date(before).toISOString() }, 'guard history pruned');
    } catch (err) {
      o.log.warn({ err }, 'cannot prune the guard history; will retry');
    }
  };
  pruneGuardRuns();
  const guardPruneTimer = setInterval(pruneGuardRuns, GUARD_PRUNE_EVERY_MS);
  guardPruneTimer.unref();
  const pause = store.getPause();
  if (pause) o.log.warn({ paused: pause }, 'automatic runs are PAUSED (rune resume, or POST /api/v1/resume)');
  let closing: Promise<void> | null = null;
  return {
    url: `http://${o.serve.host.includes(':') ? `[${o.serve.host}]` : o.serve.host}:${port}`,
    port,
    store,
    queue,
    counters,
    metrics,
    reload,
    close(graceMs = 30_000) {
      closing ??= (async () => {
        // Keep listening while running jobs finish: webhooks answer 503 (senders retry, PROTOCOLS
        // §1.1, §2.5) and /-/ready says so, which a load balancer needs to drain this instance.
        accepting = false;
        clearInterval(pruneTimer);
        clearInterval(guardPruneTimer);
        const finished = await queue.stop(graceMs);
        if (!finished) {
          // Past the bound: say what was cut off now, not after the next start.
          const cut = store.interruptRunning(now().toISOString());
          o.log.warn(
            { jobs: cut.map((j) => j.id) },
            `${cut.length} job(s) still running after ${graceMs} ms: marked interrupted, not re-run`,
          );
        }
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeAllConnections();
        await Promise.all(Object.values(transports).map((t) => t?.close()));
        await closed;
        store.close();
      })();
      return closing;
    },
  };
}
