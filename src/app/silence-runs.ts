import type { Job } from '../core/job';
import type { Logger } from '../core/logger';
import type { RunSilence } from '../core/verification';
import type { AlertmanagerApi } from '../reporters/alertmanager-api';
import { jobUrl } from '../reporters/render-note';
import type { RuleSilence } from '../rules/rule-verify';
import type { Store } from '../store/store';

/**
 * A silence lasts this long past each check while its run goes on (never past `max`): if RUNE dies,
 * Alertmanager ends it by itself soon after, instead of hiding the alert until `max`.
 */
export const SILENCE_LEASE_MS = 5 * 60_000;

export interface SilencerDeps {
  store: Store;
  log: Logger;
  now(): Date;
  alertmanager: AlertmanagerApi | null;
  intervalMs: number;
  publicUrl: string;
  /** The rule's silence of the moment (null: none, or the rule is gone). */
  silenceOf(rule: string): RuleSilence | null;
}

/** Silences an alert in Alertmanager while its rule run repairs it (docs/rules.md, silence). */
export interface Silencer {
  /** Before a job runs: the first mutating step of an automatic rule run takes the silence (awaited). */
  beforeRun(job: Job): Promise<RunSilence | null>;
  /** A job of the run, or its verification, ended: the silence is expired once nothing holds it. */
  settle(chainId: string): Promise<void>;
  /** One pass over the active silences: extend those still held, expire the others. */
  check(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function createSilencer(deps: SilencerDeps): Silencer {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | null = null;
  let stopped = false;
  /** Per chain, so that a settle and a check never act on one silence at once. */
  const busy = new Map<string, Promise<void>>();

  const serial = (chainId: string, work: () => Promise<void>): Promise<void> => {
    const before = busy.get(chainId) ?? Promise.resolve();
    const next = before.then(work).catch((err: unknown) => {
      deps.log.error({ err, chain_id: chainId }, 'cannot update the silence of a rule run; will retry');
    });
    busy.set(chainId, next);
    void next.finally(() => {
      if (busy.get(chainId) === next) busy.delete(chainId);
    });
    return next;
  };

  /** Whether the run still needs its silence: a step to come or running, or (until_verified) a pending verification. */
  function held(s: RunSilence): boolean {
    if (deps.store.jobsOfChain(s.chainId).some((j) => j.status === 'queued' || j.status === 'running')) return true;
    return s.during === 'until_verified' && deps.store.getVerification(s.chainId)?.status === 'pending';
  }

  async function expire(s: RunSilence, why: string): Promise<void> {
    const at = deps.now().toISOString();
    const fields = { rule: s.rule, chain_id: s.chainId, silence_id: s.silenceId };
    if (!deps.alertmanager || !s.silenceId) {
      deps.store.endRunSilence(s.chainId, at, null);
      return;
    }
    const r = await deps.alertmanager.expireSilence(s.silenceId, s.alertmanager ?? undefined);
    deps.store.endRunSilence(s.chainId, at, r.ok ? null : r.error);
    if (r.ok) deps.log.info(fields, `silence expired: ${why}`);
    else deps.log.warn(fields, `cannot expire the silence (Alertmanager ends it at ${s.endsAt}): ${r.error}`);
  }

  async function review(chainId: string): Promise<void> {
    const s = deps.store.getRunSilence(chainId);
    if (!s || s.status !== 'active') return;
    const now = deps.now().getTime();
    if (now >= Date.parse(s.maxUntil)) {
      deps.store.endRunSilence(chainId, new Date(now).toISOString(), null); // Alertmanager ended it at max
      deps.log.warn({ rule: s.rule, chain_id: chainId }, 'silence reached its max and ended');
      return;
    }
    if (!held(s)) return expire(s, s.during === 'run' ? 'the run ended' : 'the run ended and was verified');
    if (Date.parse(s.endsAt) - now > SILENCE_LEASE_MS / 2 || !deps.alertmanager || !s.silenceId) return;
    const endsAt = new Date(Math.min(now + SILENCE_LEASE_MS, Date.parse(s.maxUntil))).toISOString();
    const r = await deps.alertmanager.putSilence(
      { id: s.silenceId, labels: s.labels, startsAt: s.startedAt, endsAt, createdBy: 'rune', comment: comment(s) },
      s.alertmanager ?? undefined,
    );
    if (r.ok) deps.store.extendRunSilence(chainId, r.id, r.url, endsAt);
    else deps.log.warn({ rule: s.rule, chain_id: chainId }, `cannot extend the silence: ${r.error}`);
  }

  const comment = (s: Pick<RunSilence, 'rule' | 'jobId'>) =>
    `RUNE is repairing this alert (rule ${s.rule}): ${jobUrl(s.jobId, deps.publicUrl)}`;

  return {
    async beforeRun(job) {
      const rule = job.trigger.rule;
      if (job.trigger.kind !== 'alert' || !rule || !job.mutating || job.request.dryRun) return null;
      if (!job.alert || job.alert.status !== 'firing') return null;
      const chainId = job.chainId ?? job.id;
      if (deps.store.getRunSilence(chainId)) return null; // an earlier step took it
      const spec = deps.silenceOf(rule);
      if (!spec) return null;
      const now = deps.now();
      const maxUntil = new Date(now.getTime() + spec.maxMs).toISOString();
      const endsAt = new Date(now.getTime() + Math.min(SILENCE_LEASE_MS, spec.maxMs)).toISOString();
      const base = {
        chainId,
        rule,
        jobId: job.id,
        labels: job.alert.labels,
        during: spec.during,
        startedAt: now.toISOString(),
        endsAt,
        maxUntil,
      };
      const fields = { rule, job_id: job.id, chain_id: chainId, node: job.request.node };
      if (!deps.alertmanager) {
        const error = 'no RUNE_ALERTMANAGER_URL: the alert is not silenced';
        deps.store.startRunSilence({ ...base, silenceId: null, alertmanager: null, status: 'failed', error });
        deps.log.warn(fields, `silence: ${error}`);
        return deps.store.getRunSilence(chainId);
      }
      const r = await deps.alertmanager.putSilence({
        labels: job.alert.labels,
        startsAt: base.startedAt,
        endsAt,
        createdBy: 'rune',
        comment: comment({ rule, jobId: job.id }),
      });
      if (r.ok) {
        deps.store.startRunSilence({ ...base, silenceId: r.id, alertmanager: r.url, status: 'active', error: null });
        deps.log.info({ ...fields, silence_id: r.id, until: endsAt }, 'alert silenced while RUNE repairs it');
      } else {
        deps.store.startRunSilence({ ...base, silenceId: null, alertmanager: null, status: 'failed', error: r.error });
        deps.log.warn(fields, `cannot silence the alert; the run goes on: ${r.error}`);
      }
      return deps.store.getRunSilence(chainId);
    },
    settle(chainId) {
      if (stopped) return Promise.resolve();
      return serial(chainId, () => review(chainId));
    },
    check() {
      current ??= (async () => {
        for (const s of deps.store.activeRunSilences()) {
          if (stopped) break;
          await serial(s.chainId, () => review(s.chainId));
        }
      })().finally(() => (current = null));
      return current;
    },
    start() {
      if (timer || stopped) return;
      timer = setInterval(() => void this.check(), deps.intervalMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      timer = undefined;
      await current?.catch(() => undefined);
      await Promise.all([...busy.values()]);
    },
  };
}
