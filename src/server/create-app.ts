import express, { type NextFunction, type Request, type Response } from 'express';
import type { RuneConfig } from '../config/config-types';
import type { GuardCounters } from '../guards/guard-counters';
import { closedBreaker, type BreakerState, type PauseState, type RuleGuards } from '../guards/types';
import { alertRef, ingestAlerts, type IngestOutcome } from '../jobs/ingest-alerts';
import { skippedResult } from '../jobs/skipped-result';
import type { MatchOutcome } from '../rules/match-rules';
import type { JobQueue } from '../jobs/job-queue';
import { planRun } from '../orchestrator/plan-run';
import type { PluginRegistry } from '../plugins/load-registry';
import { parseAlertmanagerPayload } from '../sources/alertmanager/parse-alertmanager-payload';
import { findIncidentLabels } from '../sources/pagerduty/find-incident-labels';
import { pagerDutyIncidentToAlert } from '../sources/pagerduty/pagerduty-incident-to-alert';
import { parsePagerDutyEvent } from '../sources/pagerduty/parse-pagerduty-event';
import { verifyPagerDutySignature } from '../sources/pagerduty/verify-pagerduty-signature';
import { createGroupCommitter } from '../store/create-group-committer';
import type { Job, JobFilter, Store } from '../store/store';
import type { Alert, AlertSource, JobStatus } from '../types';
import { findToken } from './check-token';
import { HttpError, httpStatusFor } from './http-error';
import { parseJsonBody } from './parse-json-body';
import { renderMetrics } from './render-metrics';

/** What the rules file and plugins folder give the service; replaced as a whole on reload. */
export interface Runtime {
  config: RuneConfig;
  registry: PluginRegistry;
  match: (alert: Alert) => MatchOutcome;
  /** Each rule's guards, resolved from the rule and defaults.guards (docs/safety.md). */
  guards: ReadonlyMap<string, RuleGuards>;
}

export interface NamedToken {
  name: string;
  token: string;
}

export interface Logger {
  info: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
  error: (obj: object, msg: string) => void;
}

export interface AppDeps {
  store: Store;
  queue: JobQueue;
  runtime: () => Runtime;
  auth: {
    webhookTokens: NamedToken[];
    pagerdutySecrets: string[];
    apiTokens: NamedToken[];
    /** `--insecure-no-auth`: every endpoint open. For local experiments only. */
    insecureNoAuth: boolean;
  };
  /** Reads GET /incidents/{id}/alerts from PagerDuty; null when no REST token is configured. */
  pagerduty: { getIncidentAlerts: (incidentId: string) => Promise<unknown> } | null;
  reload: () => { ok: boolean; problems: string[] };
  /** False while shutting down: webhooks answer 503 so the sender retries. */
  accepting: () => boolean;
  publicUrl: string;
  dryRun: boolean;
  /** RUNE_SSH_USER or the OS user, for node resolution. */
  fallbackUser: string;
  bodyLimitBytes: number;
  log: Logger;
  now: () => Date;
  newId: () => string;
  newTraceId: () => string;
  sleep: (ms: number) => Promise<void>;
  counters: GuardCounters;
  /** Store each notification's alerts for `rune rules replay` (default true; RUNE_WEBHOOK_RETENTION_COUNT=0 turns it off). */
  recordWebhooks?: boolean;
}

function pauseView(p: PauseState): Record<string, unknown> {
  return { since: p.since, by: p.actor, reason: p.reason };
}

const JOB_STATUSES: JobStatus[] = ['queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'skipped', 'interrupted'];

/** The HTTP surface of `rune serve` (DESIGN.md, Service: HTTP surface). Thin: the work is in jobs/ and sources/. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const raw = express.raw({ type: () => true, limit: deps.bodyLimitBytes });

  const source = (req: Request) => req.socket.remoteAddress ?? 'unknown';
  const audit = (req: Request, actor: string, action: string, target: string, details: Record<string, unknown> = {}) =>
    deps.store.audit({ at: deps.now().toISOString(), actor, source: source(req), action, target, details });

  const requireApiToken = (req: Request): string => {
    if (deps.auth.insecureNoAuth) return 'anonymous (--insecure-no-auth)';
    if (deps.auth.apiTokens.length === 0) throw new HttpError(401, 'UNAUTHENTICATED', 'the API is closed: no tokens are configured (RUNE_API_TOKENS_FILE)');
    const found = findToken(req.get('authorization'), deps.auth.apiTokens);
    if (!found) throw new HttpError(401, 'UNAUTHENTICATED', 'missing or unknown API token (Authorization: Bearer <token>)');
    return found.name;
  };
  const notWhileStopping = () => {
    if (!deps.accepting()) throw new HttpError(503, 'SHUTTING_DOWN', 'RUNE is shutting down; retry later');
  };
  const respondIngest = (res: Response, outcome: IngestOutcome & { cancelled: string[] }, extra: Record<string, unknown> = {}) => {
    res.status(202).json({
      status: 'accepted',
      jobs: outcome.jobs,
      duplicates: outcome.duplicates,
      unmatched: outcome.unmatched,
      problems: outcome.problems,
      // Only when a guard acted, so the usual answer stays as it was.
      ...(outcome.suppressed.length ? { suppressed: outcome.suppressed } : {}),
      ...(outcome.cancelled.length ? { cancelled: outcome.cancelled } : {}),
      ...extra,
    });
  };
  const describePause = (p: PauseState) => `since ${p.since} by ${p.actor}${p.reason ? ` (${p.reason})` : ''}`;
  /** Manual runs while paused need the explicit flag (docs/safety.md, Pause). */
  const refuseWhilePaused = (whilePaused: unknown) => {
    const pause = deps.store.getPause();
    if (pause && whilePaused !== true) {
      throw new HttpError(409, 'PAUSED', `automatic runs are paused ${describePause(pause)}; to run by hand anyway, send "while_paused": true`, { paused: pauseView(pause) });
    }
  };
  /**
   * A resolve cancels the queued runs of that alert's firing episode(s) (DESIGN.md, Safety guards):
   * they are stored as cancelled with reason `resolved: …`, forgotten by the queue and reported.
   */
  const cancelResolved = (alerts: Alert[]): string[] => {
    const cancelled: Job[] = [];
    for (const a of alerts) {
      if (a.status !== 'resolved') continue;
      const at = deps.now();
      const reason = `resolved: alert ${a.fingerprint} resolved${a.endsAt ? ` at ${a.endsAt}` : ''} before its run started`;
      // Only that episode's runs: an old resolve re-sent after the alert fired again must not
      // cancel the new episode's run (bench/storm found it).
      const jobs = deps.store.cancelQueuedForAlert(a.fingerprint, a.startsAt, reason, at.toISOString(), (j) => skippedResult(j, reason, at, 'cancelled'));
      for (const j of jobs) {
        deps.counters.suppressed(reason);
        deps.log.info({ job_id: j.id, rule: j.trigger.rule ?? null, node: j.request.node, fingerprint: a.fingerprint }, `job cancelled: ${reason}`);
      }
      cancelled.push(...jobs);
    }
    if (cancelled.length) {
      deps.queue.drop(cancelled.map((j) => j.id));
      deps.queue.add(cancelled); // reported, one note per rule run
    }
    return cancelled.map((j) => j.id);
  };
  const commit = createGroupCommitter(deps.store);
  /** Alerts → stored jobs (with their audit record, in the same transaction) → the queue. */
  const ingest = async (
    alerts: Alert[],
    audited: { actor: string; source: string; action: string; target: string; details: Record<string, unknown> },
    received: { source: AlertSource; id: string },
  ): Promise<IngestOutcome & { cancelled: string[] }> => {
    const cancelled = cancelResolved(alerts);
    const rt = deps.runtime();
    const guards = (rule: string) => rt.guards.get(rule);
    const outcome = await ingestAlerts(alerts, { commit, registry: rt.registry, match: rt.match, now: deps.now, newId: deps.newId, newTraceId: deps.newTraceId, dryRun: deps.dryRun, guards }, (planned) => ({
      at: deps.now().toISOString(),
      ...audited,
      // Jobs of a repeated episode are not created again; the 202 answer says which were duplicates.
      details: { ...audited.details, alerts: alerts.length, candidate_jobs: planned.jobs, unmatched: planned.unmatched, problems: planned.problems },
    }), deps.recordWebhooks === false ? null : { receivedAt: deps.now().toISOString(), ...received, alerts });
    for (const s of outcome.suppressed) {
      deps.counters.suppressed(s.reason);
      deps.log.info({ rule: s.rule, node: s.node, fingerprint: s.fingerprint, jobs: s.jobs }, `rule run skipped: ${s.reason}`);
    }
    deps.queue.add(outcome.created);
    return { ...outcome, cancelled };
  };

  // ---- lifecycle (Prometheus style)
  app.get('/-/healthy', (_req, res) => {
    res.type('text/plain').send('RUNE is Healthy.\n');
  });
  app.get('/-/ready', (_req, res) => {
    if (!deps.accepting()) {
      res.status(503).type('text/plain').send('RUNE is shutting down.\n');
      return;
    }
    // Paused is still ready (webhooks are accepted and recorded), but whoever looks should see it.
    const pause = deps.store.getPause();
    res.type('text/plain').send(pause ? `RUNE is Ready. Automatic runs are PAUSED ${describePause(pause)}.\n` : 'RUNE is Ready.\n');
  });
  app.post('/-/reload', raw, (req, res) => {
    const actor = requireApiToken(req);
    const outcome = deps.reload();
    audit(req, actor, 'reload', 'rules', { ok: outcome.ok, problems: outcome.problems });
    if (!outcome.ok) throw new HttpError(400, 'CONFIG_INVALID', 'the new rules are invalid; the old ones still serve', { problems: outcome.problems });
    res.json({ status: 'reloaded' });
  });

  // ---- Alertmanager (PROTOCOLS.md §1): bearer or basic auth; 4xx are not retried by Alertmanager, 5xx are.
  app.post('/webhooks/alertmanager', raw, async (req, res) => {
    notWhileStopping();
    if (!deps.auth.insecureNoAuth) {
      if (deps.auth.webhookTokens.length === 0) throw new HttpError(401, 'UNAUTHENTICATED', 'the Alertmanager webhook is closed: set RUNE_WEBHOOK_TOKEN (or RUNE_WEBHOOK_TOKEN_FILE)');
      if (!findToken(req.get('authorization'), deps.auth.webhookTokens)) throw new HttpError(401, 'UNAUTHENTICATED', 'missing or wrong webhook token (Authorization: Bearer, or basic auth with the token as password)');
    }
    const body = parseJsonBody(req.body, req.get('content-type'));
    const parsed = parseAlertmanagerPayload(body);
    if (!parsed.ok) throw new HttpError(400, 'INVALID_PAYLOAD', `not an Alertmanager v4 webhook payload: ${parsed.problems.slice(0, 5).join('; ')}`, { problems: parsed.problems });
    for (const w of parsed.warnings) deps.log.warn({ source: 'alertmanager', group_key: parsed.value.groupKey }, w);
    const outcome = await ingest(parsed.value.alerts, { actor: 'alertmanager', source: source(req), action: 'webhook', target: parsed.value.groupKey || '(no groupKey)', details: {} }, { source: 'alertmanager', id: parsed.value.groupKey ?? '' });
    deps.log.info({ source: 'alertmanager', group_key: parsed.value.groupKey, alerts: parsed.value.alerts.length, jobs: outcome.jobs.length, duplicates: outcome.duplicates.length }, 'webhook accepted');
    respondIngest(res, outcome, parsed.warnings.length ? { warnings: parsed.warnings } : {});
  });

  // ---- PagerDuty v3 (PROTOCOLS.md §2): signature over the raw bytes; dedup on X-Webhook-Id.
  app.post('/webhooks/pagerduty', raw, (req, res) => {
    notWhileStopping();
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!deps.auth.insecureNoAuth) {
      const verdict = verifyPagerDutySignature(rawBody, req.get('x-pagerduty-signature'), deps.auth.pagerdutySecrets);
      if (!verdict.ok) throw new HttpError(verdict.status, verdict.status === 400 ? 'BAD_REQUEST' : 'BAD_SIGNATURE', verdict.reason);
    }
    const body = parseJsonBody(rawBody, req.get('content-type'));
    const parsed = parsePagerDutyEvent(body);
    if (!parsed.ok) throw new HttpError(400, 'INVALID_PAYLOAD', `not a PagerDuty v3 webhook: ${parsed.problems.slice(0, 5).join('; ')}`, { problems: parsed.problems });
    const event = parsed.value;
    const webhookId = req.get('x-webhook-id');
    // PagerDuty delivers at least once and repeats X-Webhook-Id on retries (§2.5).
    if (webhookId && !deps.store.rememberKey(`pagerduty-webhook\u0000${webhookId}`)) {
      res.status(200).json({ status: 'duplicate', webhook_id: webhookId });
      return;
    }
    if (event.kind === 'ping') {
      res.status(200).json({ status: 'pong' });
      return;
    }
    if (event.kind !== 'incident' || !['incident.triggered', 'incident.resolved'].includes(event.eventType)) {
      res.status(200).json({ status: 'ignored', event_type: event.eventType });
      return;
    }
    audit(req, 'pagerduty', 'webhook', `incident ${event.incident.id}`, { event_type: event.eventType, event_id: event.eventId, webhook_id: webhookId ?? null });
    if (!deps.pagerduty) {
      deps.log.warn({ incident: event.incident.id }, 'PagerDuty incident received but RUNE_PAGERDUTY_TOKEN is not set: cannot look up its alerts');
      res.status(202).json({ status: 'accepted', incident: event.incident.id, warning: 'no PagerDuty REST token configured (RUNE_PAGERDUTY_TOKEN): the incident cannot be matched to a host' });
      return;
    }
    // PagerDuty wants a 2xx within 5 s (§2.5): answer now, look up the incident's alerts afterwards.
    res.status(202).json({ status: 'accepted', incident: event.incident.id });
    const pd = deps.pagerduty;
    void (async () => {
      try {
        const found = await findIncidentLabels(event.incident.id, { getIncidentAlerts: pd.getIncidentAlerts, sleep: deps.sleep });
        if (!found) {
          deps.log.warn({ incident: event.incident.id }, 'no host labels found in the PagerDuty incident alerts; nothing to run');
          deps.store.audit({ at: deps.now().toISOString(), actor: 'pagerduty', source: 'rune', action: 'incident-unmatched', target: `incident ${event.incident.id}`, details: { reason: 'no labels found in GET /incidents/{id}/alerts' } });
          return;
        }
        await ingest([pagerDutyIncidentToAlert(event, found)], { actor: 'pagerduty', source: 'rune', action: 'incident-matched', target: `incident ${event.incident.id}`, details: { from: found.from } }, { source: 'pagerduty', id: webhookId ?? event.eventId });
      } catch (err) {
        deps.log.error({ err, incident: event.incident.id }, 'PagerDuty incident lookup failed');
      }
    })();
  });

  // ---- API (bearer tokens from RUNE_API_TOKENS_FILE until roles arrive)
  app.get('/api/v1/actions', (req, res) => {
    requireApiToken(req);
    const { registry } = deps.runtime();
    res.json({
      actions: [...registry.plugins.values()].map((p) => ({ name: p.name, version: p.version, description: p.description, mutating: p.mutating, become: p.become, timeout_ms: p.timeoutMs, params: p.params })),
      problems: registry.problems,
    });
  });

  app.get('/api/v1/jobs', (req, res) => {
    requireApiToken(req);
    const q = req.query;
    const str = (k: string): string | undefined => (typeof q[k] === 'string' && q[k] !== '' ? (q[k] as string) : undefined);
    const filter: JobFilter = {};
    for (const k of ['node', 'rule', 'incident', 'action', 'before'] as const) {
      const v = str(k);
      if (v !== undefined) filter[k] = v;
    }
    const status = str('status');
    if (status !== undefined) {
      if (!JOB_STATUSES.includes(status as JobStatus)) throw new HttpError(400, 'BAD_REQUEST', `status must be one of ${JOB_STATUSES.join(', ')}`);
      filter.status = status as JobStatus;
    }
    const limit = str('limit');
    if (limit !== undefined) {
      if (!/^\d{1,3}$/.test(limit)) throw new HttpError(400, 'BAD_REQUEST', 'limit must be an integer from 1 to 500');
      filter.limit = Number(limit);
    }
    res.json({ jobs: deps.store.listJobs(filter).map(jobView) });
  });

  app.get('/api/v1/jobs/:id', (req, res) => {
    requireApiToken(req);
    const job = deps.store.getJob(String(req.params.id));
    if (!job) throw new HttpError(404, 'NOT_FOUND', `no job ${JSON.stringify(req.params.id)}`);
    res.json(jobView(job));
  });

  app.post('/api/v1/jobs', raw, (req, res) => {
    const actor = requireApiToken(req);
    notWhileStopping();
    const body = parseJsonBody(req.body, req.get('content-type'));
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'BAD_REQUEST', 'the body must be a JSON object {action, node, params?, dry_run?}');
    const b = body as Record<string, unknown>;
    const unknown = Object.keys(b).filter((k) => !['action', 'node', 'params', 'dry_run', 'reason', 'while_paused'].includes(k));
    if (unknown.length) throw new HttpError(400, 'BAD_REQUEST', `unknown field(s): ${unknown.join(', ')}`);
    if (typeof b.action !== 'string' || typeof b.node !== 'string') throw new HttpError(400, 'BAD_REQUEST', 'action and node must be strings');
    if (b.params !== undefined && (b.params === null || typeof b.params !== 'object' || Array.isArray(b.params))) throw new HttpError(400, 'BAD_REQUEST', 'params must be an object');
    if (b.dry_run !== undefined && typeof b.dry_run !== 'boolean') throw new HttpError(400, 'BAD_REQUEST', 'dry_run must be true or false');
    if (b.while_paused !== undefined && typeof b.while_paused !== 'boolean') throw new HttpError(400, 'BAD_REQUEST', 'while_paused must be true or false');
    refuseWhilePaused(b.while_paused);
    const job = createManualJob(actor, { action: b.action, node: b.node, params: (b.params ?? {}) as Record<string, unknown>, dryRun: b.dry_run === true || deps.dryRun, pluginDryRun: false }, null);
    audit(req, actor, 'run', `${job.request.action} on ${job.request.node}`, { job_id: job.id, reason: typeof b.reason === 'string' ? b.reason : null });
    res.status(202).json({ status: 'accepted', job_id: job.id, links: { self: `/api/v1/jobs/${job.id}` } });
  });

  app.post('/api/v1/jobs/:id/retry', raw, (req, res) => {
    const actor = requireApiToken(req);
    notWhileStopping();
    const old = deps.store.getJob(String(req.params.id));
    if (!old) throw new HttpError(404, 'NOT_FOUND', `no job ${JSON.stringify(req.params.id)}`);
    refuseWhilePaused(optionalObject(req).while_paused);
    const job = createManualJob(actor, { ...old.request, dryRun: old.request.dryRun || deps.dryRun }, old);
    audit(req, actor, 'retry', `${job.request.action} on ${job.request.node}`, { job_id: job.id, retry_of: old.id });
    res.status(202).json({ status: 'accepted', job_id: job.id, retry_of: old.id, links: { self: `/api/v1/jobs/${job.id}` } });
  });

  // ---- Guards (docs/safety.md): the pause switch, circuit breakers, counts of suppressions.
  // Prometheus scrapes with `authorization: {credentials_file: …}` holding an API token.
  app.get('/metrics', (req, res) => {
    requireApiToken(req);
    const pause = deps.store.getPause();
    res
      .type('text/plain; version=0.0.4')
      .send(renderMetrics({ paused: pause !== null, breakers: deps.store.listBreakers(), counters: deps.counters.snapshot(), jobsRunning: deps.queue.running(), jobsWaiting: deps.queue.waiting() }));
  });

  app.get('/api/v1/guards', (req, res) => {
    requireApiToken(req);
    const pause = deps.store.getPause();
    res.json({ paused: pause ? pauseView(pause) : null, breakers: deps.store.listBreakers().map(breakerView), counters: deps.counters.snapshot() });
  });

  app.post('/api/v1/pause', raw, (req, res) => {
    const actor = requireApiToken(req);
    const body = optionalObject(req);
    const unknown = Object.keys(body).filter((k) => k !== 'reason');
    if (unknown.length) throw new HttpError(400, 'BAD_REQUEST', `unknown field(s): ${unknown.join(', ')}`);
    if (body.reason !== undefined && typeof body.reason !== 'string') throw new HttpError(400, 'BAD_REQUEST', 'reason must be a string');
    // Pausing twice keeps the first pause: "since" and "by" stay true.
    const pause = deps.store.getPause() ?? { since: deps.now().toISOString(), actor, reason: typeof body.reason === 'string' ? body.reason.slice(0, 500) : '' };
    deps.store.setPause(pause);
    audit(req, actor, 'pause', 'automatic runs', { reason: body.reason ?? null });
    deps.log.warn({ actor, reason: pause.reason }, 'automatic runs PAUSED');
    res.json({ paused: pauseView(pause) });
  });

  app.post('/api/v1/resume', raw, (req, res) => {
    const actor = requireApiToken(req);
    const was = deps.store.getPause();
    deps.store.setPause(null);
    audit(req, actor, 'resume', 'automatic runs', { was_paused: was ? pauseView(was) : null });
    if (was) deps.log.warn({ actor, paused: was }, 'automatic runs resumed');
    res.json({ paused: null, was_paused: was ? pauseView(was) : null });
  });

  app.post('/api/v1/breakers/:rule/close', raw, (req, res) => {
    const actor = requireApiToken(req);
    const rule = String(req.params.rule);
    const known = deps.runtime().guards.has(rule) || deps.store.listBreakers().some((b) => b.rule === rule);
    if (!known) throw new HttpError(404, 'NOT_FOUND', `no rule ${JSON.stringify(rule)}`);
    const { before, after } = deps.store.updateBreaker(rule, () => closedBreaker(rule));
    audit(req, actor, 'breaker-close', `rule ${rule}`, { was: before.state, failures: before.failures });
    deps.log.warn({ actor, rule, was: before.state }, 'circuit breaker closed by an operator');
    res.json({ breaker: breakerView(after), was: before.state });
  });

  /** Validates now (so the caller gets a 400 at once), then queues. */
  function createManualJob(actor: string, request: Job['request'], retryOf: Job | null): Job {
    const rt = deps.runtime();
    const id = deps.newId();
    const traceId = deps.newTraceId();
    const trigger = { kind: 'api' as const, actor, ...(retryOf?.trigger.rule ? { rule: retryOf.trigger.rule } : {}), ...(retryOf?.incident ? { incident: retryOf.incident } : {}) };
    const alert = retryOf?.alert ? alertRef(retryOf.alert) : null; // a templated instance_id renders from it
    const plan = planRun({ ...request, trigger, alert, jobId: id, traceId }, rt.registry, rt.config, { fallbackUser: deps.fallbackUser });
    const [job] = deps.store.createJobs([
      {
        id,
        traceId,
        request,
        trigger,
        alert: retryOf?.alert ?? null,
        incident: retryOf?.incident ?? null,
        chainId: null,
        step: 0,
        after: null,
        stopOnFailureOf: true,
        notify: retryOf?.notify ?? [],
        mutating: plan.plugin.mutating,
        createdAt: deps.now().toISOString(),
      },
    ]).jobs;
    deps.queue.add([job as Job]);
    return job as Job;
  }

  /** An optional JSON object body (empty body: {}). */
  function optionalObject(req: Request): Record<string, unknown> {
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) return {};
    const body = parseJsonBody(req.body, req.get('content-type'));
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'BAD_REQUEST', 'the body must be a JSON object');
    return body as Record<string, unknown>;
  }

  function jobView(j: Job): Record<string, unknown> {
    return {
      id: j.id,
      status: j.status,
      reason: j.reason,
      action: j.request.action,
      node: j.request.node,
      params: j.request.params,
      dry_run: j.request.dryRun,
      rule: j.trigger.rule ?? null,
      step: j.step,
      chain_id: j.chainId,
      after: j.after,
      trace_id: j.traceId,
      trigger: j.trigger,
      incident: j.incident,
      alert: j.alert,
      created_at: j.createdAt,
      started_at: j.startedAt,
      finished_at: j.finishedAt,
      result: j.result,
      deliveries: j.deliveries,
      url: `${deps.publicUrl}/jobs/${j.id}`,
    };
  }

  function breakerView(b: BreakerState): Record<string, unknown> {
    const g = deps.runtime().guards.get(b.rule);
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      rule: b.rule,
      state: b.state,
      failures: b.failures,
      opened_at: iso(b.openedAt),
      probe_after: g && b.openedAt !== null && b.state === 'open' ? iso(b.openedAt + g.breaker.probeAfterMs) : null,
      probe_chain: b.probeChain,
      last_failure: b.lastFailure,
    };
  }

  app.use((req, _res, next) => next(new HttpError(404, 'NOT_FOUND', `no such endpoint: ${req.method} ${req.path}`)));
  // Every error becomes a JSON body with a reason; nothing crashes the process.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = httpStatusFor(err);
    if (e.status >= 500) deps.log.error({ err, path: req.path }, 'request failed');
    else deps.log.warn({ path: req.path, status: e.status, code: e.code, source: source(req) }, e.message);
    if (e.status === 401) res.set('WWW-Authenticate', 'Bearer realm="rune"');
    res.status(e.status).json({ error: { code: e.code, message: e.message, ...(Object.keys(e.details).length ? { details: e.details } : {}) } });
  });
  return app;
}
