import express, { type NextFunction, type Request, type Response } from 'express';
import { allows, type Actor, type Permission, type Role } from '../auth/actor';
import { createFailedAuthLimiter } from '../auth/failed-auth-limiter';
import type { RuneConfig } from '../config/config-types';
import { createDashboard } from '../dashboard/create-dashboard';
import type { GuardCounters } from '../guards/guard-counters';
import { closedBreaker, type BreakerState, type PauseState } from '../core/guard-state';
import type { RuleGuards } from '../guards/types';
import { alertRef, ingestAlerts, type IngestOutcome } from '../jobs/ingest-alerts';
import { skippedResult } from '../jobs/skipped-result';
import type { MatchOutcome } from '../rules/match-rules';
import type { JobQueue } from '../jobs/job-queue';
import { planRun } from '../orchestrator/plan-run';
import type { PluginRegistry } from '../plugins/load-registry';
import { parseAlertmanagerPayload } from '../sources/alertmanager/parse-alertmanager-payload';
import { pagerDutyIncidentToAlert } from '../sources/pagerduty/pagerduty-incident-to-alert';
import { parsePagerDutyEvent, type PagerDutyIncidentEvent } from '../sources/pagerduty/parse-pagerduty-event';
import { verifyPagerDutySignature } from '../sources/pagerduty/verify-pagerduty-signature';
import { createGroupCommitter } from '../store/create-group-committer';
import type { AuditFilter, JobFilter, Store } from '../store/store';
import type { Job } from '../core/job';
import type { Alert, AlertSource, IncidentRef, JobStatus, Trigger } from '../core/types';
import { manualRuleJobs } from '../jobs/manual-rule-jobs';
import { findIncidentLabels, type IncidentLabels } from '../sources/pagerduty/find-incident-labels';
import { parseIncidentAction } from '../sources/pagerduty/parse-incident-action';
import { stripPort } from '../config/strip-port';
import { credentialFrom, findToken } from './check-token';
import { countWebhooks } from './count-webhooks';
import type { RuneMetrics } from './create-metrics';
import { HttpError, httpStatusFor } from './http-error';
import { parseJsonBody } from './parse-json-body';
import type { Logger } from '../core/logger';

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

export interface AppDeps {
  store: Store;
  queue: JobQueue;
  runtime: () => Runtime;
  auth: {
    webhookTokens: NamedToken[];
    pagerdutySecrets: string[];
    /** API tokens (RUNE_API_TOKENS_FILE, re-read on reload): the token's Actor, or null when unknown. */
    authenticate: (credential: string) => Actor | null;
    /** Failed authentications per source address before 429 (default 10 per minute). */
    failedAuthLimit?: { max?: number; windowMs?: number };
    /** `--insecure-no-auth`: every endpoint open. For local experiments only. */
    insecureNoAuth: boolean;
  };
  /**
   * PagerDuty REST: GET /incidents/{id}/alerts, and (when notify.pagerduty can post) a note on an
   * incident; null when no REST token is configured.
   */
  pagerduty: {
    getIncidentAlerts: (incidentId: string) => Promise<unknown>;
    createNote?: (incidentId: string, content: string) => Promise<void>;
  } | null;
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
  /** Prometheus metrics (GET /metrics), one object per server. */
  metrics: RuneMetrics;
  /** Store each notification's alerts for `rune rules replay` (default true; RUNE_WEBHOOK_RETENTION_COUNT=0 turns it off). */
  recordWebhooks?: boolean;
}

/** The node a `?action=` incident action runs on: like a rule's default `{{ labels.instance | hostname }}`, then nodename, instance_id. */
function nodeFromLabels(labels: Record<string, string>): string | null {
  if (labels.instance) return stripPort(labels.instance);
  return labels.nodename || labels.instance_id || null;
}

/** Rejects when `p` takes longer than `ms` (the late result is dropped). */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function pauseView(p: PauseState): Record<string, unknown> {
  return { since: p.since, by: p.actor, reason: p.reason };
}

const NEEDS: Record<Permission, Role> = { read: 'viewer', run: 'operator', admin: 'admin' };
/** `--insecure-no-auth`: everyone is this admin, and the audit log says so. */
const INSECURE_ACTOR: Actor = { name: 'anonymous (--insecure-no-auth)', role: 'admin', actions: null, nodes: null };

const JOB_STATUSES: JobStatus[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'skipped',
  'interrupted',
];

/** The HTTP surface of `rune serve` (docs/architecture.md, Service: HTTP surface). Thin: the work is in jobs/ and sources/. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const raw = express.raw({ type: () => true, limit: deps.bodyLimitBytes });
  app.use('/webhooks', countWebhooks(deps.metrics));

  const source = (req: Request) => req.socket.remoteAddress ?? 'unknown';
  const audit = (req: Request, actor: string, action: string, target: string, details: Record<string, unknown> = {}) =>
    deps.store.audit({ at: deps.now().toISOString(), actor, source: source(req), action, target, details });

  // ---- Access control (docs/security.md): who is calling (authenticate), what their role allows.
  const limiter = createFailedAuthLimiter({ ...deps.auth.failedAuthLimit, now: () => deps.now().getTime() });
  /** 429 while this address is over its limit of failed authentications, before any token is checked. */
  const refuseWhileLimited = (req: Request) => {
    const wait = limiter.blockedFor(source(req));
    if (wait > 0)
      throw new HttpError(
        'TOO_MANY_FAILURES',
        `too many failed authentications from ${source(req)}; retry in ${wait} s`,
        { retry_after_s: wait },
      );
  };
  const authFailed = (req: Request, what: string) => {
    if (limiter.fail(source(req)))
      deps.log.warn(
        { source: source(req), path: req.path },
        `failed authentication limit reached for ${source(req)}: further requests get 429 for the rest of the minute`,
      );
    return new HttpError('UNAUTHENTICATED', what);
  };
  /**
   * The caller's Actor, or 401 (no or unknown token: counted for the rate limit) / 403 (a known
   * token whose role is too low; audited). `run` is checked against action and node where they are known.
   */
  const requireActor = (req: Request, permission: Permission, what: string): Actor => {
    if (deps.auth.insecureNoAuth) return INSECURE_ACTOR;
    refuseWhileLimited(req);
    const offered = credentialFrom(req.get('authorization'));
    const actor = offered === null ? null : deps.auth.authenticate(offered);
    if (!actor)
      throw authFailed(
        req,
        'missing or unknown API token (Authorization: Bearer <token>; tokens come from RUNE_API_TOKENS_FILE, see `rune tokens add`)',
      );
    if (!allows(actor, permission))
      throw forbidden(
        req,
        actor,
        what,
        `${what} needs role ${NEEDS[permission]}; token ${actor.name} has role ${actor.role}`,
      );
    return actor;
  };
  /** An operator's scope (actions=, nodes=) against one action on one node; `from`: the source address. */
  const requireScopeFrom = (from: string, actor: Actor, what: string, target: { action: string; node: string }) => {
    if (!allows(actor, 'run', target)) {
      const which =
        actor.actions && !actor.actions.includes(target.action)
          ? `action ${target.action} (it may run ${actor.actions.join(', ')})`
          : `node ${target.node} (it may touch ${(actor.nodes ?? []).join(', ')})`;
      throw forbiddenFrom(from, actor, what, `token ${actor.name} may not run ${which}`, target);
    }
  };
  const requireScope = (req: Request, actor: Actor, what: string, target: { action: string; node: string }) =>
    requireScopeFrom(source(req), actor, what, target);
  const forbiddenFrom = (
    from: string,
    actor: Actor,
    what: string,
    message: string,
    target?: { action: string; node: string },
  ) => {
    const record = { role: actor.role, reason: message };
    deps.store.audit({
      at: deps.now().toISOString(),
      actor: actor.name,
      source: from,
      action: 'refused',
      target: target ? `${target.action} on ${target.node}` : what,
      details: record,
    });
    return new HttpError('FORBIDDEN', message);
  };
  const forbidden = (
    req: Request,
    actor: Actor,
    what: string,
    message: string,
    target?: { action: string; node: string },
  ) => forbiddenFrom(source(req), actor, what, message, target);
  /** `reason` from a request body, for the audit log ("why"). */
  const reasonOf = (body: Record<string, unknown>): string | null => {
    if (body.reason === undefined) return null;
    if (typeof body.reason !== 'string') throw new HttpError('BAD_REQUEST', 'reason must be a string');
    return body.reason.slice(0, 500);
  };
  const notWhileStopping = () => {
    if (!deps.accepting()) throw new HttpError('SHUTTING_DOWN', 'RUNE is shutting down; retry later');
  };
  const respondIngest = (
    res: Response,
    outcome: IngestOutcome & { cancelled: string[] },
    extra: Record<string, unknown> = {},
  ) => {
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
      throw new HttpError(
        'PAUSED',
        `automatic runs are paused ${describePause(pause)}; to run by hand anyway, send "while_paused": true`,
        { paused: pauseView(pause) },
      );
    }
  };
  /**
   * A resolve cancels the queued runs of that alert's firing episode(s) (docs/architecture.md, Safety guards):
   * they are stored as cancelled with reason `resolved: …`, forgotten by the queue and reported.
   */
  const cancelResolved = (alerts: Alert[]): string[] => {
    const cancelled: Job[] = [];
    const stopped: string[] = [];
    for (const a of alerts) {
      if (a.status !== 'resolved') continue;
      const at = deps.now();
      const reason = `resolved: alert ${a.fingerprint} resolved${a.endsAt ? ` at ${a.endsAt}` : ''} before its run started`;
      // Only that episode's runs: an old resolve re-sent after the alert fired again must not
      // cancel the new episode's run (bench/storm found it).
      const jobs = deps.store.cancelQueuedForAlert(a.fingerprint, a.startsAt, reason, at.toISOString(), (j) =>
        skippedResult(j, reason, at, 'cancelled'),
      );
      for (const j of jobs) {
        deps.counters.suppressed(reason);
        deps.log.info(
          {
            job_id: j.id,
            trace_id: j.traceId,
            rule: j.trigger.rule ?? null,
            node: j.request.node,
            fingerprint: a.fingerprint,
          },
          `job cancelled: ${reason}`,
        );
      }
      cancelled.push(...jobs);
      stopped.push(...stopRunningOnResolve(a, at));
    }
    if (cancelled.length) {
      deps.queue.drop(cancelled.map((j) => j.id));
      deps.queue.add(cancelled); // reported, one note per rule run
    }
    return [...cancelled.map((j) => j.id), ...stopped];
  };
  /**
   * cancel_running_on_resolve (docs/safety.md): the resolved episode's running read-only steps of
   * rules that ask for it are stopped; they end `cancelled` (the queue records and reports them).
   * Mutating steps always run to their end: stopping one half-way could leave the node worse.
   */
  const stopRunningOnResolve = (a: Alert, at: Date): string[] => {
    const rt = deps.runtime();
    const stopped: string[] = [];
    for (const j of deps.queue.runningJobs()) {
      const rule = j.trigger.rule;
      if (j.trigger.kind !== 'alert' || !rule || j.mutating || !j.alert) continue;
      if (j.alert.fingerprint !== a.fingerprint || j.alert.startsAt !== a.startsAt) continue;
      if (!rt.guards.get(rule)?.cancelRunningOnResolve) continue;
      const reason = `resolved: alert ${a.fingerprint} resolved${a.endsAt ? ` at ${a.endsAt}` : ''} while ${j.request.action} ran (cancel_running_on_resolve)`;
      if (deps.queue.abort(j.id, reason)) {
        stopped.push(j.id);
        deps.counters.suppressed(reason);
        deps.log.info(
          {
            job_id: j.id,
            trace_id: j.traceId,
            rule,
            node: j.request.node,
            fingerprint: a.fingerprint,
            at: at.toISOString(),
          },
          `running job cancelled: ${reason}`,
        );
      }
    }
    return stopped;
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
    const outcome = await ingestAlerts(
      alerts,
      {
        commit,
        registry: rt.registry,
        match: rt.match,
        now: deps.now,
        newId: deps.newId,
        newTraceId: deps.newTraceId,
        dryRun: deps.dryRun,
        guards,
      },
      (planned) => ({
        at: deps.now().toISOString(),
        ...audited,
        // Jobs of a repeated episode are not created again; the 202 answer says which were duplicates.
        details: {
          ...audited.details,
          alerts: alerts.length,
          candidate_jobs: planned.jobs,
          unmatched: planned.unmatched,
          problems: planned.problems,
        },
      }),
      deps.recordWebhooks === false ? null : { receivedAt: deps.now().toISOString(), ...received, alerts },
    );
    for (const s of outcome.suppressed) {
      deps.counters.suppressed(s.reason);
      deps.log.info(
        {
          job_id: s.jobs[0],
          trace_id: outcome.created.find((j) => j.id === s.jobs[0])?.traceId,
          rule: s.rule,
          node: s.node,
          fingerprint: s.fingerprint,
          jobs: s.jobs,
        },
        `rule run skipped: ${s.reason}`,
      );
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
    res
      .type('text/plain')
      .send(pause ? `RUNE is Ready. Automatic runs are PAUSED ${describePause(pause)}.\n` : 'RUNE is Ready.\n');
  });
  app.post('/-/reload', raw, (req, res) => {
    const actor = requireActor(req, 'admin', 'POST /-/reload');
    const reason = reasonOf(optionalObject(req));
    const outcome = deps.reload();
    audit(req, actor.name, 'reload', 'rules and tokens', { ok: outcome.ok, problems: outcome.problems, reason });
    if (!outcome.ok)
      throw new HttpError(
        'CONFIG_INVALID',
        'the reload was refused: each invalid file keeps its old version serving (rules, tokens)',
        { problems: outcome.problems },
      );
    res.json({ status: 'reloaded' });
  });

  // ---- Alertmanager (docs/protocols.md §1): bearer or basic auth; 4xx are not retried by Alertmanager, 5xx are.
  app.post('/webhooks/alertmanager', raw, async (req, res) => {
    notWhileStopping();
    if (!deps.auth.insecureNoAuth) {
      if (deps.auth.webhookTokens.length === 0)
        throw new HttpError(
          'UNAUTHENTICATED',
          'the Alertmanager webhook is closed: set RUNE_WEBHOOK_TOKEN (or RUNE_WEBHOOK_TOKEN_FILE)',
        );
      refuseWhileLimited(req);
      if (!findToken(req.get('authorization'), deps.auth.webhookTokens))
        throw authFailed(
          req,
          'missing or wrong webhook token (Authorization: Bearer, or basic auth with the token as password)',
        );
    }
    const body = parseJsonBody(req.body, req.get('content-type'));
    const parsed = parseAlertmanagerPayload(body);
    if (!parsed.ok)
      throw new HttpError(
        'INVALID_PAYLOAD',
        `not an Alertmanager v4 webhook payload: ${parsed.problems.slice(0, 5).join('; ')}`,
        { problems: parsed.problems },
      );
    for (const w of parsed.warnings) deps.log.warn({ source: 'alertmanager', group_key: parsed.value.groupKey }, w);
    const outcome = await ingest(
      parsed.value.alerts,
      {
        actor: 'alertmanager',
        source: source(req),
        action: 'webhook',
        target: parsed.value.groupKey || '(no groupKey)',
        details: {},
      },
      { source: 'alertmanager', id: parsed.value.groupKey ?? '' },
    );
    deps.log.info(
      {
        source: 'alertmanager',
        group_key: parsed.value.groupKey,
        alerts: parsed.value.alerts.length,
        jobs: outcome.jobs.length,
        duplicates: outcome.duplicates.length,
      },
      'webhook accepted',
    );
    respondIngest(res, outcome, parsed.warnings.length ? { warnings: parsed.warnings } : {});
  });

  // ---- PagerDuty v3 (docs/protocols.md §2): signature over the raw bytes; dedup on X-Webhook-Id.
  app.post('/webhooks/pagerduty', raw, (req, res) => {
    notWhileStopping();
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!deps.auth.insecureNoAuth) {
      const verdict = verifyPagerDutySignature(rawBody, req.get('x-pagerduty-signature'), deps.auth.pagerdutySecrets);
      if (!verdict.ok) throw new HttpError(verdict.status === 400 ? 'EMPTY_BODY' : 'BAD_SIGNATURE', verdict.reason);
    }
    const body = parseJsonBody(rawBody, req.get('content-type'));
    const parsed = parsePagerDutyEvent(body);
    if (!parsed.ok)
      throw new HttpError('INVALID_PAYLOAD', `not a PagerDuty v3 webhook: ${parsed.problems.slice(0, 5).join('; ')}`, {
        problems: parsed.problems,
      });
    const event = parsed.value;
    const webhookId = req.get('x-webhook-id');
    const dedupKey = webhookId ? `pagerduty-webhook\u0000${webhookId}` : null;
    const actOn = event.kind === 'incident' && ['incident.triggered', 'incident.resolved'].includes(event.eventType);
    // PagerDuty delivers at least once and repeats X-Webhook-Id on retries (§2.5).
    if (!(actOn && deps.pagerduty) && dedupKey && !deps.store.rememberKey(dedupKey)) {
      res.status(200).json({ status: 'duplicate', webhook_id: webhookId });
      return;
    }
    if (event.kind === 'ping') {
      res.status(200).json({ status: 'pong' });
      return;
    }
    if (event.kind !== 'incident' || !actOn) {
      res.status(200).json({ status: 'ignored', event_type: event.eventType });
      return;
    }
    const record = {
      at: deps.now().toISOString(),
      actor: 'pagerduty',
      source: source(req),
      action: 'webhook',
      target: `incident ${event.incident.id}`,
      details: { event_type: event.eventType, event_id: event.eventId, webhook_id: webhookId ?? null },
    };
    if (!deps.pagerduty) {
      deps.store.audit(record);
      deps.log.warn(
        { incident: event.incident.id },
        'PagerDuty incident received but RUNE_PAGERDUTY_TOKEN is not set: cannot look up its alerts',
      );
      res.status(202).json({
        status: 'accepted',
        incident: event.incident.id,
        warning: 'no PagerDuty REST token configured (RUNE_PAGERDUTY_TOKEN): the incident cannot be matched to a host',
      });
      return;
    }
    // PagerDuty wants a 2xx within 5 s (§2.5): answer now, look up the incident's alerts afterwards.
    // The event is stored as pending first (with the dedup key and audit record), so a restart
    // before the lookup ends takes it up again instead of losing it.
    const pendingKey = `pagerduty:${webhookId ?? event.eventId}`;
    if (!deps.store.acceptPendingIncident(dedupKey, pendingKey, { body, webhook_id: webhookId ?? null }, record)) {
      res.status(200).json({ status: 'duplicate', webhook_id: webhookId });
      return;
    }
    res.status(202).json({ status: 'accepted', incident: event.incident.id });
    void matchIncident(pendingKey, event, webhookId ?? null);
  });

  /** A pending PagerDuty incident: its alerts → labels → rules → jobs; then it is no longer pending. */
  async function matchIncident(
    pendingKey: string,
    event: PagerDutyIncidentEvent,
    webhookId: string | null,
  ): Promise<void> {
    const pd = deps.pagerduty;
    try {
      if (!pd) throw new Error('the PagerDuty REST token was removed');
      const found = await findIncidentLabels(event.incident.id, {
        getIncidentAlerts: pd.getIncidentAlerts,
        sleep: deps.sleep,
      });
      if (!found) {
        deps.log.warn(
          { incident: event.incident.id },
          'no host labels found in the PagerDuty incident alerts; nothing to run',
        );
        deps.store.audit({
          at: deps.now().toISOString(),
          actor: 'pagerduty',
          source: 'rune',
          action: 'incident-unmatched',
          target: `incident ${event.incident.id}`,
          details: { reason: 'no labels found in GET /incidents/{id}/alerts' },
        });
      } else {
        await ingest(
          [pagerDutyIncidentToAlert(event, found)],
          {
            actor: 'pagerduty',
            source: 'rune',
            action: 'incident-matched',
            target: `incident ${event.incident.id}`,
            details: { from: found.from },
          },
          { source: 'pagerduty', id: webhookId ?? event.eventId },
        );
      }
      deps.store.finishPendingIncident(pendingKey);
    } catch (err) {
      deps.log.error({ err, incident: event.incident.id }, 'PagerDuty incident lookup failed: nothing was run for it');
      try {
        deps.store.audit({
          at: deps.now().toISOString(),
          actor: 'pagerduty',
          source: 'rune',
          action: 'incident-lookup-failed',
          target: `incident ${event.incident.id}`,
          details: { reason: (err as Error).message },
        });
        deps.store.finishPendingIncident(pendingKey);
      } catch (storeErr) {
        deps.log.error(
          { err: storeErr, incident: event.incident.id },
          'cannot record the failed lookup; the incident stays pending until the next start',
        );
      }
    }
  }

  /** After a restart: incidents acknowledged before it whose lookup had not ended are looked up now. */
  const resumePendingIncidents = () => {
    for (const p of deps.store.pendingIncidents()) {
      const saved = p.event as { body?: unknown; webhook_id?: string | null };
      const parsedAgain = parsePagerDutyEvent(saved.body);
      if (!parsedAgain.ok || parsedAgain.value.kind !== 'incident') {
        deps.log.error({ key: p.key }, 'a stored pending PagerDuty incident cannot be read; dropped');
        deps.store.finishPendingIncident(p.key);
        continue;
      }
      deps.log.info(
        { incident: parsedAgain.value.incident.id, received_at: p.receivedAt },
        'PagerDuty incident acknowledged before a restart: looking up its alerts now',
      );
      void matchIncident(p.key, parsedAgain.value, saved.webhook_id ?? null);
    }
  };
  if (deps.pagerduty) setImmediate(resumePendingIncidents);

  // ---- PagerDuty Custom Incident Action (docs/protocols.md §2.8): a button on the incident page runs
  // the rules matching the incident's alert, or `?action=NAME[&node=…]`, as a manual run by the
  // token (operator or admin) and the PagerDuty user who clicked; the Result becomes a note.
  app.post('/webhooks/pagerduty/incident-action', raw, async (req, res) => {
    notWhileStopping();
    const actor = requireActor(req, 'run', 'POST /webhooks/pagerduty/incident-action');
    const unknownQuery = Object.keys(req.query).filter((k) => k !== 'action' && k !== 'node');
    if (unknownQuery.length)
      throw new HttpError(
        'BAD_REQUEST',
        `unknown query parameter(s) in the extension URL: ${unknownQuery.join(', ')} (action, node)`,
      );
    const queryString = (k: string): string | null => {
      const v = req.query[k];
      if (v === undefined) return null;
      if (typeof v !== 'string' || v === '') throw new HttpError('BAD_REQUEST', `?${k}= must be given once, not empty`);
      return v;
    };
    const action = queryString('action');
    const queryNode = queryString('node');
    if (queryNode !== null && action === null)
      throw new HttpError('BAD_REQUEST', '?node= needs ?action= (the rules choose their own node)');
    const parsed = parseIncidentAction(parseJsonBody(req.body, req.get('content-type')));
    if (!parsed.ok)
      throw new HttpError(
        'INVALID_PAYLOAD',
        `not a PagerDuty Custom Incident Action (v2 envelope): ${parsed.problems.join('; ')}`,
        { problems: parsed.problems },
      );
    if ('ignored' in parsed) {
      res.status(200).json({ status: 'ignored', events: parsed.ignored });
      return;
    }
    const { incident, agent } = parsed.value;
    const rt = deps.runtime();
    if (action !== null && !rt.registry.plugins.has(action))
      throw new HttpError('UNKNOWN_ACTION', `?action=${action}: no plugin of that name (rune actions lists them)`);
    const clicked = agent?.summary ?? 'an unknown PagerDuty user';
    const who = `${actor.name} (PagerDuty: ${clicked})`;
    const webhookId = req.get('x-webhook-id') || parsed.value.messageId;
    const details = {
      incident: incident.id,
      agent: agent?.summary ?? null,
      agent_id: agent?.id ?? null,
      webhook_id: webhookId,
      query_action: action,
      query_node: queryNode,
      reason: `Custom Incident Action pressed by ${clicked}`,
    };
    const refuse = (err: HttpError, note: string): never => {
      audit(req, actor.name, 'incident-action-refused', `incident ${incident.id}`, {
        ...details,
        refused: err.code,
        message: err.message,
      });
      noteOnIncident(incident.id, `RUNE did not run anything for the incident action pressed by ${clicked}: ${note}`);
      throw err;
    };
    const pause = deps.store.getPause();
    if (pause)
      refuse(
        new HttpError('PAUSED', `RUNE is paused ${describePause(pause)}; nothing was run`, {
          paused: pauseView(pause),
        }),
        `RUNE is paused ${describePause(pause)}. An admin can lift it with \`rune resume\`.`,
      );

    // The incident's alert labels (same look-up as the v3 incident.triggered path), unless ?node= makes them unnecessary.
    let found: IncidentLabels | null = null;
    if (queryNode === null) {
      if (!deps.pagerduty)
        refuse(
          new HttpError(
            'INCIDENT_UNMATCHED',
            "RUNE has no PagerDuty REST token (RUNE_PAGERDUTY_TOKEN) to read the incident's alerts; set it, or add &node= with ?action= to the extension URL",
          ),
          "RUNE cannot read the incident's alerts (no PagerDuty REST token).",
        );
      const pd = deps.pagerduty as NonNullable<AppDeps['pagerduty']>;
      try {
        // The button's request must be answered within 16 s (docs/protocols.md §2.5): the look-up gets 10.
        found = await withDeadline(
          findIncidentLabels(incident.id, {
            getIncidentAlerts: pd.getIncidentAlerts,
            sleep: deps.sleep,
            attempts: 3,
            delayMs: 1000,
          }),
          10_000,
        );
      } catch (err) {
        deps.log.error({ err, incident: incident.id }, 'PagerDuty incident lookup failed');
        throw new HttpError(
          'PAGERDUTY_UNAVAILABLE',
          `cannot read the alerts of incident ${incident.id} from PagerDuty: ${(err as Error).message}`,
        );
      }
      if (!found)
        refuse(
          new HttpError(
            'INCIDENT_UNMATCHED',
            `no host labels found in the alerts of incident ${incident.id} (GET /incidents/{id}/alerts); add &node= with ?action= to the extension URL`,
          ),
          'no host labels were found in its alerts.',
        );
    }
    // PagerDuty delivers at least once and repeats X-Webhook-Id on retries (§2.5); claimed only now,
    // so a delivery that failed above (5xx) can still run when PagerDuty retries it.
    if (!deps.store.rememberKey(`pagerduty-incident-action\u0000${webhookId}`)) {
      res.status(200).json({ status: 'duplicate', webhook_id: webhookId });
      return;
    }
    const incidentRef: IncidentRef = {
      provider: 'pagerduty',
      id: incident.id,
      ...(incident.url !== undefined ? { url: incident.url } : {}),
    };
    const alsoNotify = rt.config.notify.pagerduty ? ['pagerduty'] : [];

    if (action !== null) {
      const labels = found?.labels ?? {};
      const node = queryNode ?? nodeFromLabels(labels);
      if (!node)
        refuse(
          new HttpError(
            'INCIDENT_UNMATCHED',
            `the alerts of incident ${incident.id} name no node (labels instance, nodename or instance_id); add &node= to the extension URL`,
          ),
          'its alerts name no node.',
        );
      const target = { action, node: node as string };
      requireScope(req, actor, 'POST /webhooks/pagerduty/incident-action', target);
      const job = createManualJob(
        who,
        { action, node: node as string, params: {}, dryRun: deps.dryRun, pluginDryRun: false },
        null,
        { incident: incidentRef, notify: alsoNotify },
      );
      audit(req, actor.name, 'incident-action', `${action} on ${target.node}`, { ...details, job_ids: [job.id] });
      res.status(202).json({ status: 'accepted', incident: incident.id, jobs: [job.id] });
      return;
    }

    const labelsFound = found as IncidentLabels;
    const alert = pagerDutyIncidentToAlert(
      {
        kind: 'incident',
        eventId: parsed.value.messageId,
        eventType: 'incident.custom',
        occurredAt: parsed.value.createdOn ?? deps.now().toISOString(),
        incident: { ...incident, incidentKey: null },
      },
      labelsFound,
    );
    const matched = rt.match(alert);
    if (matched.invocations.length === 0) {
      const why = matched.problems.length
        ? matched.problems.map((p) => `${p.rule}: ${p.message}`).join('; ')
        : `no rule matches the labels ${JSON.stringify(alert.labels)}`;
      refuse(
        new HttpError('INCIDENT_UNMATCHED', `nothing to run for incident ${incident.id}: ${why}`, {
          labels: alert.labels,
        }),
        `no rule matches its alert (${why}).`,
      );
    }
    const chains = manualRuleJobs(
      matched.invocations,
      alert,
      { kind: 'manual', source: 'pagerduty', actor: who, alert_fingerprint: alert.fingerprint, incident: incidentRef },
      {
        registry: rt.registry,
        now: deps.now,
        newId: deps.newId,
        newTraceId: deps.newTraceId,
        dryRun: deps.dryRun,
        alsoNotify,
      },
    );
    const refused: { rule: string; reason: string }[] = [];
    const created: Job[] = [];
    for (const [rule, jobs] of chains) {
      const outside = jobs.find((j) => !allows(actor, 'run', { action: j.request.action, node: j.request.node }));
      if (outside) {
        refused.push({
          rule,
          reason: `token ${actor.name} may not run ${outside.request.action} on ${outside.request.node}`,
        });
        continue;
      }
      created.push(...deps.store.createJobs(jobs).jobs);
    }
    if (created.length === 0) {
      refuse(
        new HttpError(
          'FORBIDDEN',
          `token ${actor.name} may not run any matching rule: ${refused.map((r) => `${r.rule} (${r.reason})`).join('; ')}`,
          { refused },
        ),
        `the extension's token may not run the matching rules (${refused.map((r) => r.rule).join(', ')}).`,
      );
    }
    deps.queue.add(created);
    audit(req, actor.name, 'incident-action', `incident ${incident.id}`, {
      ...details,
      rules: [...chains.keys()].filter((r) => !refused.some((x) => x.rule === r)),
      refused,
      job_ids: created.map((j) => j.id),
      labels_from: labelsFound.from,
    });
    deps.log.info(
      { incident: incident.id, actor: who, jobs: created.length, refused: refused.length },
      'incident action accepted',
    );
    res.status(202).json({
      status: 'accepted',
      incident: incident.id,
      jobs: created.map((j) => j.id),
      ...(refused.length ? { refused } : {}),
      ...(matched.problems.length ? { problems: matched.problems } : {}),
    });
  });
  /** Best effort: a note on the incident (e.g. why nothing ran); a failure is logged, never thrown. */
  function noteOnIncident(incidentId: string, content: string): void {
    const createNote = deps.pagerduty?.createNote;
    if (!createNote) return;
    void createNote(incidentId, content).catch((err: unknown) =>
      deps.log.warn({ err, incident: incidentId }, 'cannot post the note on the incident'),
    );
  }

  // ---- API: bearer tokens from RUNE_API_TOKENS_FILE, each with a role (docs/security.md).
  app.get('/api/v1/actions', (req, res) => {
    requireActor(req, 'read', 'GET /api/v1/actions');
    const { registry } = deps.runtime();
    res.json({
      actions: [...registry.plugins.values()].map((p) => ({
        name: p.name,
        version: p.version,
        description: p.description,
        mutating: p.mutating,
        become: p.become,
        timeout_ms: p.timeoutMs,
        params: p.params,
      })),
      problems: registry.problems,
    });
  });

  app.get('/api/v1/jobs', (req, res) => {
    requireActor(req, 'read', 'GET /api/v1/jobs');
    const q = req.query;
    const str = (k: string): string | undefined =>
      typeof q[k] === 'string' && q[k] !== '' ? (q[k] as string) : undefined;
    const filter: JobFilter = {};
    for (const k of ['node', 'rule', 'incident', 'action', 'before'] as const) {
      const v = str(k);
      if (v !== undefined) filter[k] = v;
    }
    const status = str('status');
    if (status !== undefined) {
      if (!JOB_STATUSES.includes(status as JobStatus))
        throw new HttpError('BAD_REQUEST', `status must be one of ${JOB_STATUSES.join(', ')}`);
      filter.status = status as JobStatus;
    }
    const limit = str('limit');
    if (limit !== undefined) {
      if (!/^\d{1,3}$/.test(limit)) throw new HttpError('BAD_REQUEST', 'limit must be an integer from 1 to 500');
      filter.limit = Number(limit);
    }
    res.json({ jobs: deps.store.listJobs(filter).map(jobView) });
  });

  app.get('/api/v1/jobs/:id', (req, res) => {
    requireActor(req, 'read', 'GET /api/v1/jobs/:id');
    const job = deps.store.getJob(String(req.params.id));
    if (!job) throw new HttpError('NOT_FOUND', `no job ${JSON.stringify(req.params.id)}`);
    res.json(jobView(job));
  });

  app.post('/api/v1/jobs', raw, (req, res) => {
    const actor = requireActor(req, 'run', 'POST /api/v1/jobs');
    notWhileStopping();
    const body = parseJsonBody(req.body, req.get('content-type'));
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw new HttpError('BAD_REQUEST', 'the body must be a JSON object {action, node, params?, dry_run?}');
    const b = body as Record<string, unknown>;
    const unknown = Object.keys(b).filter(
      (k) => !['action', 'node', 'params', 'dry_run', 'reason', 'while_paused'].includes(k),
    );
    if (unknown.length) throw new HttpError('BAD_REQUEST', `unknown field(s): ${unknown.join(', ')}`);
    if (typeof b.action !== 'string' || typeof b.node !== 'string')
      throw new HttpError('BAD_REQUEST', 'action and node must be strings');
    if (b.params !== undefined && (b.params === null || typeof b.params !== 'object' || Array.isArray(b.params)))
      throw new HttpError('BAD_REQUEST', 'params must be an object');
    if (b.dry_run !== undefined && typeof b.dry_run !== 'boolean')
      throw new HttpError('BAD_REQUEST', 'dry_run must be true or false');
    if (b.while_paused !== undefined && typeof b.while_paused !== 'boolean')
      throw new HttpError('BAD_REQUEST', 'while_paused must be true or false');
    const reason = reasonOf(b);
    requireScope(req, actor, 'POST /api/v1/jobs', { action: b.action, node: b.node });
    refuseWhilePaused(b.while_paused);
    const job = createManualJob(
      actor.name,
      {
        action: b.action,
        node: b.node,
        params: (b.params ?? {}) as Record<string, unknown>,
        dryRun: b.dry_run === true || deps.dryRun,
        pluginDryRun: false,
      },
      null,
    );
    audit(req, actor.name, 'run', `${job.request.action} on ${job.request.node}`, { job_id: job.id, reason });
    res.status(202).json({ status: 'accepted', job_id: job.id, links: { self: `/api/v1/jobs/${job.id}` } });
  });

  app.post('/api/v1/jobs/:id/retry', raw, (req, res) => {
    const actor = requireActor(req, 'run', 'POST /api/v1/jobs/:id/retry');
    const body = optionalObject(req);
    const { job, old } = retryJob(actor, source(req), String(req.params.id), {
      whilePaused: body.while_paused,
      reason: reasonOf(body),
    });
    res
      .status(202)
      .json({ status: 'accepted', job_id: job.id, retry_of: old.id, links: { self: `/api/v1/jobs/${job.id}` } });
  });

  /**
   * A stored job's request again, as a new job reporting to the same incident: the API's retry and
   * the dashboard's Re-run (which may change params; planRun validates them again). Scope-checked
   * here too, whatever the caller's UI showed.
   */
  function retryJob(
    actor: Actor,
    from: string,
    id: string,
    o: { whilePaused: unknown; reason?: string | null; params?: Record<string, unknown>; via?: string },
  ): { job: Job; old: Job } {
    notWhileStopping();
    const old = deps.store.getJob(id);
    if (!old) throw new HttpError('NOT_FOUND', `no job ${JSON.stringify(id)}`);
    requireScopeFrom(from, actor, 'POST /api/v1/jobs/:id/retry', {
      action: old.request.action,
      node: old.request.node,
    });
    refuseWhilePaused(o.whilePaused);
    const job = createManualJob(
      actor.name,
      { ...old.request, ...(o.params ? { params: o.params } : {}), dryRun: old.request.dryRun || deps.dryRun },
      old,
    );
    const details = {
      job_id: job.id,
      retry_of: old.id,
      reason: o.reason ?? null,
      ...(o.via ? { via: o.via } : {}),
      ...(o.params ? { params: o.params } : {}),
    };
    deps.store.audit({
      at: deps.now().toISOString(),
      actor: actor.name,
      source: from,
      action: 'retry',
      target: `${job.request.action} on ${job.request.node}`,
      details,
    });
    return { job, old };
  }

  app.post('/api/v1/jobs/:id/cancel', raw, (req, res) => {
    const actor = requireActor(req, 'run', 'POST /api/v1/jobs/:id/cancel');
    const body = optionalObject(req);
    const why = reasonOf(body);
    if (body.force !== undefined && typeof body.force !== 'boolean')
      throw new HttpError('BAD_REQUEST', 'force must be true or false');
    const out = cancelJob(actor, source(req), String(req.params.id), why, body.force === true);
    res.status(out.status === 'cancelling' ? 202 : 200).json(out);
  });
  /**
   * Cancel (API and dashboard): a queued job becomes `cancelled` at once; a running one is stopped
   * through its transport and ends `cancelled` a moment later (`cancelling`).
   */
  function cancelJob(
    actor: Actor,
    from: string,
    id: string,
    why: string | null,
    force: boolean,
  ): { status: 'cancelled' | 'cancelling'; job_id: string; reason: string } {
    const job = deps.store.getJob(id);
    if (!job) throw new HttpError('NOT_FOUND', `no job ${JSON.stringify(id)}`);
    requireScopeFrom(from, actor, 'POST /api/v1/jobs/:id/cancel', {
      action: job.request.action,
      node: job.request.node,
    });
    if (job.status === 'running') return cancelRunning(actor, from, job, why, force);
    if (job.status !== 'queued')
      throw new HttpError('JOB_FINISHED', `job ${job.id} already ended ${job.status}; nothing to cancel`, {
        status: job.status,
      });
    const at = deps.now();
    const reason = `cancelled: by ${actor.name}${why ? `: ${why}` : ''}`;
    const result = skippedResult(job, reason, at, 'cancelled');
    // Safe without a conditional update: this handler and the queue's start (which re-reads the
    // status) both run synchronously on this one thread, so the job cannot start in between.
    deps.store.finishJob(job.id, 'cancelled', result, reason, at.toISOString());
    deps.store.audit({
      at: at.toISOString(),
      actor: actor.name,
      source: from,
      action: 'cancel',
      target: `${job.request.action} on ${job.request.node}`,
      details: { job_id: job.id, reason: why },
    });
    deps.log.info(
      { job_id: job.id, trace_id: job.traceId, actor: actor.name, node: job.request.node },
      `job ${reason}`,
    );
    const cancelled: Job = { ...job, status: 'cancelled', reason, result, finishedAt: at.toISOString() };
    deps.queue.drop([job.id]);
    deps.queue.add([cancelled]); // reported like a resolve's cancellation
    return { status: 'cancelled', job_id: job.id, reason };
  }
  /**
   * A running job is stopped through its transport (TERM, KILL after the grace; docs/safety.md) and
   * ends `cancelled` a moment later, so the answer is 202 `cancelling`. Stopping a mutating action
   * half-way can leave the node worse than either end state: that needs `"force": true`.
   */
  function cancelRunning(
    actor: Actor,
    from: string,
    job: Job,
    why: string | null,
    force: boolean,
  ): { status: 'cancelling'; job_id: string; reason: string } {
    if (job.mutating && !force) {
      throw new HttpError(
        'JOB_RUNNING',
        `job ${job.id} is running ${job.request.action}, which changes the node; stopping it half-way can leave ${job.request.node} worse than either end state. Send "force": true (rune jobs cancel --force) to stop it anyway`,
        { job_id: job.id, started_at: job.startedAt, mutating: true },
      );
    }
    const reason = `cancelled: by ${actor.name}${why ? `: ${why}` : ''}`;
    if (!deps.queue.abort(job.id, reason)) {
      throw new HttpError(
        'JOB_RUNNING',
        `job ${job.id} is not running in this RUNE process (it may have just ended, or runs in another replica); nothing was stopped`,
        { job_id: job.id },
      );
    }
    const details = { job_id: job.id, reason: why, running: true, ...(job.mutating ? { force: true } : {}) };
    deps.store.audit({
      at: deps.now().toISOString(),
      actor: actor.name,
      source: from,
      action: 'cancel',
      target: `${job.request.action} on ${job.request.node}`,
      details,
    });
    deps.log.info(
      { job_id: job.id, trace_id: job.traceId, actor: actor.name, node: job.request.node },
      `running job ${reason}`,
    );
    return { status: 'cancelling', job_id: job.id, reason };
  }

  // ---- Audit log (admin): every trigger and admin act, newest first, with a cursor for the next page.
  app.get('/api/v1/audit', (req, res) => {
    requireActor(req, 'admin', 'GET /api/v1/audit');
    const q = req.query;
    const str = (k: string): string | undefined =>
      typeof q[k] === 'string' && q[k] !== '' ? (q[k] as string) : undefined;
    const unknown = Object.keys(q).filter((k) => !['since', 'actor', 'action', 'limit', 'cursor'].includes(k));
    if (unknown.length)
      throw new HttpError(
        'BAD_REQUEST',
        `unknown filter(s): ${unknown.join(', ')} (since, actor, action, limit, cursor)`,
      );
    const filter: AuditFilter = { limit: 100 };
    const since = str('since');
    if (since !== undefined) {
      const t = Date.parse(since);
      if (!/^\d{4}-\d{2}-\d{2}/.test(since) || Number.isNaN(t))
        throw new HttpError(
          'BAD_REQUEST',
          `since must be an ISO 8601 time (e.g. 2024-05-01T10:00:00Z), got ${JSON.stringify(since.slice(0, 40))}`,
        );
      filter.since = new Date(t).toISOString();
    }
    for (const k of ['actor', 'action'] as const) {
      const v = str(k);
      if (v !== undefined) filter[k] = v;
    }
    const limit = str('limit');
    if (limit !== undefined) {
      if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000)
        throw new HttpError('BAD_REQUEST', 'limit must be an integer from 1 to 1000');
      filter.limit = Number(limit);
    }
    const cursor = str('cursor');
    if (cursor !== undefined) {
      if (!/^\d{1,15}$/.test(cursor))
        throw new HttpError('BAD_REQUEST', 'cursor must be the next_cursor of a previous answer');
      filter.before = Number(cursor);
    }
    const records = deps.store.queryAudit(filter);
    const last = records[records.length - 1];
    res.json({
      records: records.map(({ seq, ...r }) => ({ id: seq, ...r })),
      next_cursor: records.length === filter.limit && last ? String(last.seq) : null,
    });
  });

  // ---- Dashboard (docs/dashboard.md): GET /, /jobs/:id, /actions, /rules and their forms.
  app.use(
    createDashboard({
      store: deps.store,
      runtime: deps.runtime,
      authenticate: deps.auth.authenticate,
      insecureNoAuth: deps.auth.insecureNoAuth,
      publicUrl: deps.publicUrl,
      now: deps.now,
      log: deps.log,
      failedAuth: {
        blockedFor: (from) => limiter.blockedFor(from),
        fail: (from) => {
          if (limiter.fail(from))
            deps.log.warn(
              { source: from, path: '/login' },
              `failed authentication limit reached for ${from}: further requests get 429 for the rest of the minute`,
            );
        },
      },
      rerunJob: (actor, id, o) =>
        retryJob(actor, o.source, id, { whilePaused: o.whilePaused, params: o.params, via: 'dashboard' }).job,
      cancelJob: (actor, id, reason, from) => {
        try {
          const out = cancelJob(actor, from, id, reason, false);
          return {
            ok: true,
            message:
              out.status === 'cancelled' ? `Job ${id} ${out.reason}.` : `Job ${id} is being stopped (${out.reason}).`,
          };
        } catch (err) {
          return { ok: false, message: httpStatusFor(err).message };
        }
      },
    }),
  );

  // ---- Guards (docs/safety.md): the pause switch, circuit breakers, counts of suppressions.
  // Prometheus scrapes with `authorization: {credentials_file: …}` holding an API token.
  app.get('/metrics', async (req, res) => {
    requireActor(req, 'read', 'GET /metrics');
    const { contentType, text } = await deps.metrics.render();
    res.type(contentType).send(text);
  });

  app.get('/api/v1/guards', (req, res) => {
    requireActor(req, 'read', 'GET /api/v1/guards');
    const pause = deps.store.getPause();
    res.json({
      paused: pause ? pauseView(pause) : null,
      breakers: deps.store.listBreakers().map(breakerView),
      counters: deps.counters.snapshot(),
    });
  });

  app.post('/api/v1/pause', raw, (req, res) => {
    const actor = requireActor(req, 'admin', 'POST /api/v1/pause');
    const body = optionalObject(req);
    const unknown = Object.keys(body).filter((k) => k !== 'reason');
    if (unknown.length) throw new HttpError('BAD_REQUEST', `unknown field(s): ${unknown.join(', ')}`);
    const reason = reasonOf(body);
    // Pausing twice keeps the first pause: "since" and "by" stay true.
    const pause = deps.store.getPause() ?? { since: deps.now().toISOString(), actor: actor.name, reason: reason ?? '' };
    deps.store.setPause(pause);
    audit(req, actor.name, 'pause', 'automatic runs', { reason });
    deps.log.warn({ actor: actor.name, reason: pause.reason }, 'automatic runs PAUSED');
    res.json({ paused: pauseView(pause) });
  });

  app.post('/api/v1/resume', raw, (req, res) => {
    const actor = requireActor(req, 'admin', 'POST /api/v1/resume');
    const reason = reasonOf(optionalObject(req));
    const was = deps.store.getPause();
    deps.store.setPause(null);
    audit(req, actor.name, 'resume', 'automatic runs', { was_paused: was ? pauseView(was) : null, reason });
    if (was) deps.log.warn({ actor: actor.name, paused: was }, 'automatic runs resumed');
    res.json({ paused: null, was_paused: was ? pauseView(was) : null });
  });

  app.post('/api/v1/breakers/:rule/close', raw, (req, res) => {
    const actor = requireActor(req, 'admin', 'POST /api/v1/breakers/:rule/close');
    const reason = reasonOf(optionalObject(req));
    const rule = String(req.params.rule);
    const known = deps.runtime().guards.has(rule) || deps.store.listBreakers().some((b) => b.rule === rule);
    if (!known) throw new HttpError('NOT_FOUND', `no rule ${JSON.stringify(rule)}`);
    const { before, after } = deps.store.updateBreaker(rule, () => closedBreaker(rule));
    audit(req, actor.name, 'breaker-close', `rule ${rule}`, { was: before.state, failures: before.failures, reason });
    deps.log.warn({ actor: actor.name, rule, was: before.state }, 'circuit breaker closed by an operator');
    res.json({ breaker: breakerView(after), was: before.state });
  });

  /** Validates now (so the caller gets a 400 at once), then queues. */
  function createManualJob(
    actor: string,
    request: Job['request'],
    retryOf: Job | null,
    fromIncident?: { incident: IncidentRef; notify: string[] },
  ): Job {
    const rt = deps.runtime();
    const id = deps.newId();
    const traceId = deps.newTraceId();
    const trigger: Trigger = fromIncident
      ? { kind: 'manual', source: 'pagerduty', actor, incident: fromIncident.incident }
      : {
          kind: 'api' as const,
          actor,
          ...(retryOf?.trigger.rule ? { rule: retryOf.trigger.rule } : {}),
          ...(retryOf?.incident ? { incident: retryOf.incident } : {}),
        };
    const alert = retryOf?.alert ? alertRef(retryOf.alert) : null; // a templated instance_id renders from it
    const plan = planRun({ ...request, trigger, alert, jobId: id, traceId }, rt.registry, rt.config, {
      fallbackUser: deps.fallbackUser,
    });
    const [job] = deps.store.createJobs([
      {
        id,
        traceId,
        request,
        trigger,
        alert: retryOf?.alert ?? null,
        incident: fromIncident?.incident ?? retryOf?.incident ?? null,
        chainId: null,
        step: 0,
        after: null,
        stopOnFailureOf: true,
        notify: fromIncident?.notify ?? retryOf?.notify ?? [],
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
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw new HttpError('BAD_REQUEST', 'the body must be a JSON object');
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

  app.use((req, _res, next) => next(new HttpError('NOT_FOUND', `no such endpoint: ${req.method} ${req.path}`)));
  // Every error becomes a JSON body with a reason; nothing crashes the process.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = httpStatusFor(err);
    if (e.status >= 500) deps.log.error({ err, path: req.path }, 'request failed');
    else deps.log.warn({ path: req.path, status: e.status, code: e.code, source: source(req) }, e.message);
    if (e.status === 401) res.set('WWW-Authenticate', 'Bearer realm="rune"');
    if (e.status === 429 && typeof e.details.retry_after_s === 'number')
      res.set('Retry-After', String(e.details.retry_after_s));
    res.status(e.status).json({
      error: { code: e.code, message: e.message, ...(Object.keys(e.details).length ? { details: e.details } : {}) },
    });
  });
  return app;
}
