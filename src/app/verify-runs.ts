import type { Job } from '../core/job';
import type { Logger } from '../core/logger';
import type { Alert, Result } from '../core/types';
import type { Verification } from '../core/verification';
import type { AlertmanagerApi } from '../reporters/alertmanager-api';
import { instantQuery } from '../reporters/prometheus-api';
import type { RuleVerify } from '../rules/rule-verify';
import type { Store } from '../store/store';
import { formatDuration } from '../util/duration';
import { rfc3339Instant } from '../util/rfc3339-instant';
import type { RuneMetrics } from './create-metrics';

/** Where a verification looks, besides the resolve notifications (settings of `rune serve`). */
export interface VerifySources {
  /** RUNE_ALERTMANAGER_URL: asked GET /api/v2/alerts (a silenced alert sends no resolve). */
  alertmanager: AlertmanagerApi | null;
  /** RUNE_PROMETHEUS_URL: where `verify.query` runs. */
  prometheusUrl: string | null;
  /** RUNE_VERIFY_INTERVAL: how often pending verifications look. */
  intervalMs: number;
  fetch?: typeof fetch;
}

export interface VerifierDeps extends VerifySources {
  store: Store;
  log: Logger;
  metrics: RuneMetrics;
  now(): Date;
  /** The rule's verify of the moment (null: none, or the rule is gone). */
  verifyOf(rule: string): RuleVerify | null;
  /** Posts a follow-up note (the run's Result with the verdict as summary) to the job's notifiers. */
  note(job: Job, result: Result): Promise<void>;
  /** Work after the verdict (the note): shutdown waits for it. */
  inBackground(work: Promise<void>): void;
  /** A verdict was taken (e.g. to end a silence held until_verified). */
  ended?(v: Verification): void;
}

/** Watches succeeded rule runs until their alert resolves or the window ends (docs/rules.md, verify). */
export interface Verifier {
  /** An automatic rule run ended ok: when its rule has `verify:`, the watch starts (stored, pending). */
  begin(job: Job, result: Result): Verification | null;
  /** Resolved alerts of a notification: each ends the watch of its episode as verified. */
  resolved(alerts: readonly Alert[]): Verification[];
  /** One pass over the pending verifications: ask Alertmanager and Prometheus, end expired windows. */
  check(): Promise<Verification[]>;
  /** Checks every interval (pending ones survive a restart in the store). */
  start(): void;
  /** No more checks; resolves when the one under way ended (its requests are aborted). */
  stop(): Promise<void>;
}

type Seen = { state: 'resolved'; by: string } | { state: 'firing' } | { state: 'unknown'; why: string };

export function createVerifier(deps: VerifierDeps): Verifier {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<Verification[]> | null = null;
  const stopping = new AbortController();

  /** The verdict: verified (`by` saw it resolved, at `endsAt` when the notification said) or not fixed. */
  function finish(
    v: Verification,
    verdict: { fixed: true; by: string; endsAt?: string | null } | { fixed: false; why: string },
  ): Verification | null {
    const at = deps.now();
    let done: Verification | null;
    if (verdict.fixed) {
      const endsAt = verdict.endsAt ? Date.parse(verdict.endsAt) : NaN;
      const resolvedAt = Number.isNaN(endsAt) ? at : new Date(endsAt);
      const after = Math.max(0, resolvedAt.getTime() - Date.parse(v.startedAt));
      const summary = `fixed: resolved ${formatDuration(after)} after ${v.action} (seen by ${verdict.by})`;
      done = deps.store.finishVerification(v.chainId, 'verified', summary, at.toISOString(), resolvedAt.toISOString());
      if (done) deps.metrics.verificationFinished(v.rule, 'verified', after / 1000);
    } else {
      const window = formatDuration(Date.parse(v.deadline) - Date.parse(v.startedAt));
      const why = verdict.why ? ` (${verdict.why})` : '';
      const summary = `not fixed: still firing ${window} after ${v.action}${why}`;
      done = deps.store.finishVerification(v.chainId, 'not_fixed', summary, at.toISOString(), null);
      if (done) deps.metrics.verificationFinished(v.rule, 'not_fixed', null);
    }
    if (!done) return null; // another path took the verdict first
    const fields = { rule: done.rule, job_id: done.jobId, chain_id: done.chainId, node: done.node };
    if (done.status === 'verified') deps.log.info(fields, `rule run verified: ${done.summary}`);
    else deps.log.warn(fields, `rule run not fixed: ${done.summary}`);
    followUp(done);
    deps.ended?.(done);
    return done;
  }

  /** The follow-up note: the run's Result, its summary the verdict (docs/rules.md, verify). */
  function followUp(v: Verification): void {
    const job = deps.store.getJob(v.jobId);
    if (!job?.result || job.notify.length === 0) return;
    const result: Result = { ...job.result, summary: v.summary ?? '', error: null };
    deps.inBackground(deps.note(job, result));
  }

  /** What the sources say now about a pending verification's alert. */
  async function look(v: Verification): Promise<Seen> {
    const unknown: string[] = [];
    let firing = false;
    const signal = stopping.signal;
    if (deps.alertmanager) {
      const got = await deps.alertmanager.activeAlerts(v.labels, signal);
      if (got.answered.length === 0) unknown.push(`Alertmanager did not answer: ${got.failed.join('; ')}`);
      else {
        const same = (labels: Record<string, string>) =>
          Object.keys(labels).length === Object.keys(v.labels).length &&
          Object.entries(v.labels).every(([k, val]) => labels[k] === val);
        if (got.alerts.some((a) => a.fingerprint === v.fingerprint || same(a.labels))) firing = true;
        else return { state: 'resolved', by: 'Alertmanager' };
      }
    }
    if (v.query !== null) {
      if (deps.prometheusUrl === null) unknown.push('verify.query needs RUNE_PROMETHEUS_URL');
      else {
        const fetchOpt = deps.fetch ? { fetch: deps.fetch } : {};
        const got = await instantQuery(deps.prometheusUrl, v.query, { ...fetchOpt, signal });
        if (!got.ok) unknown.push(`Prometheus query failed: ${got.error}`);
        else if (got.series === 0) return { state: 'resolved', by: 'verify.query' };
        else firing = true;
      }
    }
    if (firing) return { state: 'firing' };
    if (!deps.alertmanager && v.query === null)
      return { state: 'unknown', why: 'no resolve notification; no RUNE_ALERTMANAGER_URL to ask' };
    return { state: 'unknown', why: unknown.join('; ') };
  }

  async function checkAll(): Promise<Verification[]> {
    const decided: Verification[] = [];
    for (const v of deps.store.pendingVerifications()) {
      if (stopping.signal.aborted) break;
      try {
        const seen = await look(v);
        if (stopping.signal.aborted) break;
        if (seen.state === 'resolved') {
          const done = finish(v, { fixed: true, by: seen.by });
          if (done) decided.push(done);
        } else if (deps.now().getTime() >= Date.parse(v.deadline)) {
          const done = finish(v, { fixed: false, why: seen.state === 'unknown' ? seen.why : '' });
          if (done) decided.push(done);
        }
      } catch (err) {
        deps.log.error({ err, chain_id: v.chainId, rule: v.rule }, 'cannot check a verification; will retry');
      }
    }
    return decided;
  }

  return {
    begin(job, result) {
      const rule = job.trigger.rule;
      if (!rule || job.request.dryRun || !job.alert || job.alert.status !== 'firing') return null;
      const verify = deps.verifyOf(rule);
      if (!verify) return null;
      const at = deps.now();
      const chainId = job.chainId ?? job.id;
      const started = deps.store.startVerification({
        chainId,
        rule,
        jobId: job.id,
        action: result.action,
        node: result.node,
        fingerprint: job.alert.fingerprint,
        startsAt: job.alert.startsAt,
        labels: job.alert.labels,
        query: verify.query,
        startedAt: at.toISOString(),
        deadline: new Date(at.getTime() + verify.withinMs).toISOString(),
      });
      if (!started) return null;
      deps.metrics.verificationStarted(rule);
      const v = deps.store.getVerification(chainId);
      const fields = { rule, job_id: job.id, chain_id: chainId, node: result.node };
      deps.log.info({ ...fields, deadline: v?.deadline }, `rule run succeeded: verifying for ${verify.within}`);
      return v;
    },
    resolved(alerts) {
      const ended = alerts.filter((a) => a.status === 'resolved');
      if (ended.length === 0) return [];
      const decided: Verification[] = [];
      for (const v of deps.store.pendingVerifications()) {
        const a = ended.find(
          (x) => x.fingerprint === v.fingerprint && rfc3339Instant(x.startsAt) === rfc3339Instant(v.startsAt),
        );
        if (!a) continue;
        const done = finish(v, { fixed: true, by: 'the resolve notification', endsAt: a.endsAt });
        if (done) decided.push(done);
      }
      return decided;
    },
    check() {
      current ??= checkAll().finally(() => (current = null));
      return current;
    },
    start() {
      if (timer || stopping.signal.aborted) return;
      timer = setInterval(() => {
        void this.check().catch((err: unknown) => deps.log.error({ err }, 'verification check failed'));
      }, deps.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      stopping.abort();
      await current?.catch(() => undefined);
    },
  };
}
