import express from 'express';
import { describePause } from '../../app/pause';
import type { AppContext } from '../../app/context';
import { RuneError } from '../../core/errors';
import { recordAudit } from '../../app/record-audit';
import { isStoreUnavailable } from '../../store/store-unavailable';
import { actorOf, sourceOf, type RequestAuth } from '../request-auth';
import { checkReasonBody } from '../request-schemas';
import { readBody } from '../validate-request';

/** Prometheus-style lifecycle endpoints: /-/healthy, /-/ready (open), /-/reload (admin). */
export function lifecycleRoutes(
  ctx: AppContext,
  auth: RequestAuth,
  raw: express.RequestHandler,
  reload: () => { ok: boolean; problems: string[] },
): express.Router {
  const router = express.Router();
  router.get('/-/healthy', (_req, res) => {
    res.type('text/plain').send('RUNE is Healthy.\n');
  });
  router.get('/-/ready', (_req, res) => {
    if (!ctx.accepting()) {
      res.status(503).type('text/plain').send('RUNE is shutting down.\n');
      return;
    }
    // Paused is still ready (webhooks are accepted and recorded), but whoever looks should see it.
    // Reading it also checks the database: without one, webhooks are answered 503 too.
    let pause;
    try {
      pause = ctx.store.getPause();
    } catch (err) {
      if (!isStoreUnavailable(err)) throw err;
      res.status(503).type('text/plain').send(`RUNE is not ready: the database cannot be reached (${err.message}).\n`);
      return;
    }
    const paused = pause ? ` Automatic runs are PAUSED ${describePause(pause)}.` : '';
    res.type('text/plain').send(`RUNE is Ready.${paused}\n`);
  });
  router.post('/-/reload', auth.actor('admin', 'POST /-/reload'), raw, (req, res) => {
    const actor = actorOf(res);
    const { reason } = readBody(req, checkReasonBody, { optional: true });
    const outcome = reload();
    const details = { ok: outcome.ok, problems: outcome.problems, reason: reason ?? null };
    recordAudit(ctx, { actor: actor.name, source: sourceOf(req) }, 'reload', 'rules and tokens', details);
    if (!outcome.ok) {
      throw new RuneError(
        'CONFIG_INVALID',
        'the reload was refused: each invalid file keeps its old version serving (rules, tokens)',
        { problems: outcome.problems },
      );
    }
    res.json({ status: 'reloaded' });
  });
  return router;
}
