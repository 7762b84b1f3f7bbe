import express from 'express';
import { closeBreaker } from '../../app/close-breaker';
import type { AppContext } from '../../app/context';
import { pauseRuns, pauseView, resumeRuns } from '../../app/pause';
import { actorOf, sourceOf, type RequestAuth } from '../request-auth';
import { checkReasonBody, checkRuleStatsQuery } from '../request-schemas';
import { readBody, readQuery } from '../validate-request';
import { ruleStats } from '../../app/rule-stats';
import { parseDuration } from '../../util/duration';
import { breakerView } from '../views';

/** The guards (docs/safety.md): the pause switch, circuit breakers, counts of suppressions. */
export function guardsRoutes(ctx: AppContext, auth: RequestAuth, raw: express.RequestHandler): express.Router {
  const router = express.Router();
  const view = (b: Parameters<typeof breakerView>[0]) => breakerView(b, ctx.runtime().guards.get(b.rule));

  router.get('/api/v1/guards', auth.actor('read', 'GET /api/v1/guards'), (_req, res) => {
    const pause = ctx.store.getPause();
    res.json({
      paused: pause ? pauseView(pause) : null,
      breakers: ctx.store.listBreakers().map(view),
      counters: ctx.counters.snapshot(),
    });
  });

  // Effectiveness per rule (docs/api.md): runs, outcomes, verified-fixed rate, median time to resolve.
  router.get('/api/v1/rules/stats', auth.actor('read', 'GET /api/v1/rules/stats'), (req, res) => {
    const q = readQuery(req, checkRuleStatsQuery);
    const window = q.since ?? '30d';
    const sinceMs = ctx.now().getTime() - (parseDuration(window) ?? 0); // the schema's pattern passed
    res.json({ since: new Date(sinceMs).toISOString(), window, rules: ruleStats(ctx, sinceMs) });
  });

  router.post('/api/v1/pause', auth.actor('admin', 'POST /api/v1/pause'), raw, (req, res) => {
    const { reason } = readBody(req, checkReasonBody, { optional: true });
    res.json({ paused: pauseView(pauseRuns(ctx, actorOf(res), sourceOf(req), reason ?? null)) });
  });

  router.post('/api/v1/resume', auth.actor('admin', 'POST /api/v1/resume'), raw, (req, res) => {
    const { reason } = readBody(req, checkReasonBody, { optional: true });
    const was = resumeRuns(ctx, actorOf(res), sourceOf(req), reason ?? null);
    res.json({ paused: null, was_paused: was ? pauseView(was) : null });
  });

  const what = 'POST /api/v1/breakers/:rule/close';
  router.post('/api/v1/breakers/:rule/close', auth.actor('admin', what), raw, (req, res) => {
    const { reason } = readBody(req, checkReasonBody, { optional: true });
    const rule = String(req.params.rule);
    const { before, after } = closeBreaker(ctx, actorOf(res), sourceOf(req), rule, reason ?? null);
    res.json({ breaker: view(after), was: before.state });
  });
  return router;
}
