import type { Actor } from '../auth/actor';
import { RuneError } from '../core/errors';
import type { PauseState } from '../core/guard-state';
import type { AppContext } from './context';
import { recordAudit } from './record-audit';

/** `since … by … (reason)`, for answers, notes and /-/ready. */
export function describePause(p: PauseState): string {
  return `since ${p.since} by ${p.actor}${p.reason ? ` (${p.reason})` : ''}`;
}

/** The pause as the API shows it. */
export function pauseView(p: PauseState): { since: string; by: string; reason: string } {
  return { since: p.since, by: p.actor, reason: p.reason };
}

/** Manual runs while paused need the explicit flag (docs/safety.md, Pause); else PAUSED. */
export function refuseWhilePaused(ctx: Pick<AppContext, 'store'>, whilePaused: boolean): void {
  const pause = ctx.store.getPause();
  if (pause && !whilePaused) {
    throw new RuneError(
      'PAUSED',
      `automatic runs are paused ${describePause(pause)}; to run by hand anyway, send "while_paused": true`,
      { paused: pauseView(pause) },
    );
  }
}

/** Stops every automatic run until resumed; pausing twice keeps the first pause (its since and by stay true). */
export function pauseRuns(ctx: AppContext, actor: Actor, source: string, reason: string | null): PauseState {
  const pause = ctx.store.getPause() ?? { since: ctx.now().toISOString(), actor: actor.name, reason: reason ?? '' };
  ctx.store.setPause(pause);
  recordAudit(ctx, { actor: actor.name, source }, 'pause', 'automatic runs', { reason });
  ctx.log.warn({ actor: actor.name, reason: pause.reason }, 'automatic runs PAUSED');
  return pause;
}

/** Lets automatic runs start again; returns the pause that was lifted, if any. */
export function resumeRuns(ctx: AppContext, actor: Actor, source: string, reason: string | null): PauseState | null {
  const was = ctx.store.getPause();
  ctx.store.setPause(null);
  const details = { was_paused: was ? pauseView(was) : null, reason };
  recordAudit(ctx, { actor: actor.name, source }, 'resume', 'automatic runs', details);
  if (was) ctx.log.warn({ actor: actor.name, paused: was }, 'automatic runs resumed');
  return was;
}
