import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createFailedAuthLimiter } from '../auth/failed-auth-limiter';
import { alertRef } from '../core/alert-ref';
import type { Logger } from '../core/logger';
import type { TransportKind } from '../core/types';
import { createGuardCounters } from '../guards/guard-counters';
import { nodeLockWaitMs } from '../guards/resolve-rule-guards';
import { createJobQueue } from '../jobs/job-queue';
import { skippedResult } from '../jobs/skipped-result';
import { planRun } from '../orchestrator/plan-run';
import { runAction } from '../orchestrator/run-action';
import { runWindowMs } from '../transports/run-window';
import type { Job } from '../core/job';
import { createGroupCommitter } from '../store/create-group-committer';
import type { WebhookRetention } from '../store/prune-webhooks';
import { openStore } from '../store/open-store';
import type { Transport } from '../transports/transport';
import { timeOrderedId } from '../util/time-ordered-id';
import type { AppContext } from './context';
import { createMetrics } from './create-metrics';
import { createReporting } from './report-job';
import { createServiceState, type ServiceSources } from './service-state';
import { startHousekeeping } from './housekeeping';
import { resumePendingIncidents } from './match-pending-incident';
import { logTakeOver, startReplicaDuties } from './replica-duties';
import { createVerifier, type VerifySources } from './verify-runs';
import { ruleEscalate, ruleSilence, ruleVerify } from '../rules/rule-verify';
import { createEscalator, type EscalationTarget } from './escalate';
import { isOnFailureStep, runOnFailure } from './run-on-failure';
import { DEFAULT_PAGERDUTY_EVENTS_URL } from '../reporters/pagerduty-events';
import { createSilencer } from './silence-runs';

export interface ServiceOptions extends ServiceSources {
  /** RUNE_DB: the SQLite file (`:memory:` for tests) or a PostgreSQL URL. */
  dbPath: string;
  /** RUNE_DB_PASSWORD(_FILE), for PostgreSQL. */
  dbPassword?: string | null;
  /** RUNE_LEASE: a replica silent this long is dead (PostgreSQL; default 15 s). */
  leaseMs?: number;
  /** Jobs running at once. */
  concurrency: number;
  dryRun: boolean;
  publicUrl: string;
  fallbackUser: string;
  webhookRetention: WebhookRetention;
  transports: Partial<Record<TransportKind, Transport>>;
  log: Logger;
  now?: () => Date;
  /** Failed authentications per source address before 429 (default 10 per minute). */
  failedAuthLimit?: { max?: number; windowMs?: number };
  /** Where verifications look besides resolve notifications (default: nowhere else, every 30 s). */
  verify?: VerifySources;
  /** Where escalations go (docs/rules.md, escalate); default: nowhere (escalations fail, said in the job). */
  escalation?: EscalationTarget;
}

/** RUNE_VERIFY_INTERVAL's default, when ServiceOptions.verify is not given (tests). */
const DEFAULT_VERIFY_INTERVAL_MS = 30_000;

/** One running RUNE: the use cases' context, and what the process around it needs. */
export interface Service {
  ctx: AppContext;
  /** Re-reads rules, plugins and API tokens; an invalid file keeps its old version serving. */
  reload(): { ok: boolean; problems: string[] };
  /** Queued jobs from before a restart run now; PagerDuty incidents still pending are looked up. */
  start(): void;
  /** Refuses new work (SHUTTING_DOWN) and lets running jobs finish, up to `graceMs`. */
  drain(graceMs: number): Promise<void>;
  /** After drain: closes the transports (SSH pool) and the store. */
  close(): Promise<void>;
  /** Open SSH connections in the pool, or null without an SSH transport (for the metrics). */
  sshPoolSize(): number | null;
}

/**
 * The composition root of `rune serve` (docs/architecture.md, State): opens the store (a job that
 * was running when RUNE died is interrupted, never re-run), builds the queue, the reporters and
 * the metrics, and keeps the rules and tokens reloadable.
 */
export function openService(o: ServiceOptions): Service {
  const now = o.now ?? (() => new Date());
  const metrics = createMetrics();
  const state = createServiceState(o, metrics);
  const store = openStore(o.dbPath, { password: o.dbPassword ?? null });
  const leaseMs = o.leaseMs ?? 15_000;
  // Runs that were going on when RUNE (or, sharing PostgreSQL, a replica whose lease ended) stopped
  // are never re-run: a read-only one is interrupted, a mutating one's outcome is unknown and its
  // node stays held (docs/safety.md, Outcome unknown); queued jobs become this process's. Alone on
  // SQLite, every earlier process is over.
  const startedWith = store.takeOver(store.shared ? now().getTime() - leaseMs : null, now().toISOString());
  logTakeOver(startedWith, o.log);
  const timers = startHousekeeping(store, o, now, () => state.runtime().guards.values());
  const counters = createGuardCounters(metrics);
  let accepting = true;
  const stopping = new AbortController();
  const background = new Set<Promise<void>>();
  const ruleSpec = (rule: string) => state.runtime().config.rules.find((r) => r.name === rule);
  const escalator = createEscalator({
    store,
    log: o.log,
    metrics,
    now,
    publicUrl: o.publicUrl,
    target: o.escalation ?? { eventsUrl: DEFAULT_PAGERDUTY_EVENTS_URL, routingKey: null },
    escalateOf: (rule) => {
      const spec = ruleSpec(rule);
      return spec ? ruleEscalate(spec, state.runtime().config.defaults.escalate) : null;
    },
  });
  const reporting = createReporting({
    store,
    log: o.log,
    metrics,
    counters,
    now,
    reporters: () => state.notifiers().reporters,
    guards: (rule) => state.runtime().guards.get(rule),
    breakerOpened: (job, text, at) =>
      ctx.inBackground(escalator.escalate(job, 'breaker_open', text, `rune:breaker:${job.trigger.rule ?? ''}:${at}`)),
  });
  const verifier = createVerifier({
    ...(o.verify ?? { alertmanager: null, prometheusUrl: null, intervalMs: DEFAULT_VERIFY_INTERVAL_MS }),
    store,
    log: o.log,
    metrics,
    now,
    verifyOf: (rule) => {
      const config = state.runtime().config;
      const spec = config.rules.find((r) => r.name === rule);
      return spec ? ruleVerify(spec, config.defaults.verify) : null;
    },
    note: (job, result) => reporting.followUp(job, result),
    inBackground: (work) => ctx.inBackground(work),
    ended: (v) => {
      ctx.inBackground(silencer.settle(v.chainId));
      const job = v.status === 'not_fixed' ? store.getJob(v.jobId) : null;
      const why = `RUNE rule ${v.rule} on ${v.node}: ${v.summary ?? 'not fixed'}`;
      if (job) ctx.inBackground(escalator.escalate(job, 'not_fixed', why, `rune:${v.chainId}:not_fixed`));
    },
  });
  const silencer = createSilencer({
    store,
    log: o.log,
    now,
    alertmanager: o.verify?.alertmanager ?? null,
    intervalMs: o.verify?.intervalMs ?? DEFAULT_VERIFY_INTERVAL_MS,
    publicUrl: o.publicUrl,
    silenceOf: (rule) => {
      const config = state.runtime().config;
      const spec = config.rules.find((r) => r.name === rule);
      return spec ? ruleSilence(spec, config.defaults.silence) : null;
    },
  });
  const queue = createJobQueue({
    store,
    concurrency: o.concurrency,
    now,
    log: o.log,
    report: async (job, result) => {
      await reporting.report(job, result);
      // The run's silence ends once nothing holds it any more (docs/rules.md, silence).
      if (job.chainId !== null) await silencer.settle(job.chainId);
    },
    nodeLockWaitMs: () => nodeLockWaitMs(state.runtime().config.defaults.guards),
    ruleRunEnded: (job, result, ok) => {
      // An on_failure step ending says nothing new about the run: it already failed.
      if (isOnFailureStep(job)) return;
      reporting.ruleRunEnded(job, result, ok);
      if (ok) verifier.begin(job, result);
      else {
        const what = `${result.action} on ${result.node} ${result.status}`;
        const why = `RUNE rule ${job.trigger.rule ?? ''}: ${what}: ${result.summary}`;
        ctx.inBackground(escalator.escalate(job, 'failed', why, `rune:${job.chainId ?? job.id}:failed`));
        runOnFailure(ctx, job);
      }
    },
    suppressed: (job, reason) => {
      counters.suppressed(reason);
      const fields = { job_id: job.id, trace_id: job.traceId, rule: job.trigger.rule ?? null, node: job.request.node };
      o.log.warn(fields, `job skipped: ${reason}`);
    },
    lockUntilOf: (job, startedMs) => lockUntilOf(job, startedMs),
    run: async (job, signal) => {
      // Before the first mutating step of an automatic run: silence its alert (never fails the run).
      await silencer.beforeRun(job).catch((err: unknown) => {
        o.log.error({ err, job_id: job.id, trace_id: job.traceId }, 'cannot silence the alert; the run goes on');
      });
      const rt = state.runtime();
      const request = {
        ...job.request,
        trigger: job.trigger,
        alert: job.alert ? alertRef(job.alert) : null,
        jobId: job.id,
        traceId: job.traceId,
      };
      const env = { fallbackUser: o.fallbackUser };
      const deps = { registry: rt.registry, config: rt.config, env, transports: o.transports, now };
      return runAction(request, { ...deps, readScript: (p) => readFile(p) }, signal);
    },
  });
  /** Until when a mutating job's run could still be going on its node if RUNE died now (null: never starts). */
  function lockUntilOf(job: Job, startedMs: number): number | null {
    const rt = state.runtime();
    try {
      const request = { ...job.request, trigger: job.trigger, alert: null, jobId: job.id, traceId: job.traceId };
      const plan = planRun(request, rt.registry, rt.config, { fallbackUser: o.fallbackUser });
      return startedMs + runWindowMs(plan.target.transport, plan.timeoutMs);
    } catch {
      return null; // refused at validate: such a run never reaches a node
    }
  }
  const ctx: AppContext = {
    store,
    queue,
    commit: createGroupCommitter(store),
    runtime: state.runtime,
    pagerduty: state.pagerduty,
    authenticate: (credential) => state.authenticate(credential),
    authenticateHash: (hashHex) => state.authenticateHash(hashHex),
    failedAuth: createFailedAuthLimiter({ ...o.failedAuthLimit, now: () => now().getTime() }),
    counters,
    verifier,
    metrics,
    log: o.log,
    now,
    newId: () => timeOrderedId(),
    newTraceId: () => randomUUID().replace(/-/g, ''), // 32 hex digits from the pooled UUID source
    sleep: (ms) => abortableSleep(ms, stopping.signal),
    stopping: stopping.signal,
    dryRun: o.dryRun,
    publicUrl: o.publicUrl,
    fallbackUser: o.fallbackUser,
    recordWebhooks: o.webhookRetention.maxCount > 0,
    accepting: () => accepting,
    inBackground(work) {
      const tracked = work.catch((err: unknown) => o.log.error({ err }, 'background work failed'));
      background.add(tracked);
      void tracked.finally(() => background.delete(tracked));
    },
  };
  /** Each run of unknown outcome gets its Result and is reported: the incident says what to check. */
  function reportUnknownOutcomes(stopped: Job[]): void {
    for (const job of stopped.filter((j) => j.status === 'outcome_unknown')) {
      const at = now();
      const why = (job.reason ?? '').replace(/^outcome_unknown: /, '');
      const result = skippedResult(job, why, at, 'outcome_unknown');
      try {
        store.finishJob(job.id, 'outcome_unknown', result, job.reason, at.toISOString());
        queue.add([{ ...job, result }]);
      } catch (err) {
        o.log.error({ err, job_id: job.id }, 'cannot record or report a run of unknown outcome');
      }
    }
  }
  let replicaTimers: { stop(): void } | null = null;
  const reloadsSeen = { value: store.reloadGeneration() };
  const startDuties = () =>
    startReplicaDuties({
      store,
      queue,
      log: o.log,
      now,
      leaseMs,
      reloadsSeen,
      reload: () => state.reload(),
      stopped: reportUnknownOutcomes,
      resumePending: (keys) => {
        if (ctx.pagerduty()) resumePendingIncidents(ctx, keys);
      },
    });
  let draining: Promise<void> | null = null;
  let closing: Promise<void> | null = null;
  return {
    ctx,
    reload() {
      const outcome = state.reload();
      // Sharing PostgreSQL: the other replicas see the count change and reload their own files too.
      if (outcome.ok && store.shared) reloadsSeen.value = store.reloadGeneration(true);
      return outcome;
    },
    start() {
      queue.resume();
      reportUnknownOutcomes(startedWith.stopped);
      if (store.shared) replicaTimers = startDuties();
      verifier.start(); // pending verifications from before a restart go on
      silencer.start(); // so do silences: extended while held, expired once not
      const pause = store.getPause();
      if (pause) o.log.warn({ paused: pause }, 'automatic runs are PAUSED (rune resume, or POST /api/v1/resume)');
    },
    drain(graceMs) {
      draining ??= (async () => {
        const deadline = Date.now() + graceMs;
        accepting = false;
        stopping.abort();
        timers.stop();
        replicaTimers?.stop();
        const finished = await queue.stop(graceMs);
        await verifier.stop();
        await silencer.stop(); // active silences stay in the store; their lease ends them if RUNE does not return
        if (!finished) {
          // Past the bound: say what was cut off now, not after the next start (which does it too
          // if the store cannot write now).
          let cut: { id: string }[] = [];
          try {
            cut = store.interruptRunning(now().toISOString());
          } catch (err) {
            o.log.error({ err }, 'cannot mark the jobs cut off by the shutdown: the next start marks them');
          }
          const ids = cut.map((j) => j.id);
          o.log.warn(
            { jobs: ids },
            `${cut.length} job(s) still running after ${graceMs} ms: marked interrupted, not re-run`,
          );
        }
        // Notes still being posted (their retries) get what is left of the grace, no more.
        const left = Math.max(0, deadline - Date.now());
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<void>((r) => (timer = setTimeout(r, left)));
        await Promise.race([Promise.all([...background]), bound]);
        clearTimeout(timer);
        if (background.size > 0) o.log.warn({ pending: background.size }, 'shutdown did not wait for every note');
      })();
      return draining;
    },
    close() {
      closing ??= (async () => {
        await Promise.all(Object.values(o.transports).map((t) => t?.close()));
        store.close();
      })();
      return closing;
    },
    sshPoolSize() {
      const ssh = o.transports.ssh as (Transport & { poolSize?: () => number }) | undefined;
      return typeof ssh?.poolSize === 'function' ? ssh.poolSize() : null;
    },
  };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('RUNE is shutting down'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('RUNE is shutting down'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
