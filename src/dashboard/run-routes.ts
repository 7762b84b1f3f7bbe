import express, { type Request, type Response } from 'express';
import type { AppContext } from '../app/context';
import { runManually } from '../app/run-manually';
import { httpErrorView } from '../http/http-error-view';
import { bodyField, type DashboardKit } from './dashboard-kit';
import { jobPath } from './format';
import { EXTRA_FIELD, paramFields, readParamForm, type ParamField } from './param-form';
import { renderRunPage } from './render-run-page';

/** `/run`: start a run from the dashboard (docs/dashboard.md), over the same use case as POST /api/v1/jobs. */
export function runRoutes(ctx: AppContext, kit: DashboardKit): express.Router {
  const router = express.Router();
  const source = (req: Request) => req.socket.remoteAddress ?? 'unknown';

  const catalogue = () =>
    [...ctx.runtime().registry.plugins.values()]
      .map((p) => ({ name: p.name, description: p.description, mutating: p.mutating }))
      .sort((a, b) => a.name.localeCompare(b.name));
  const nodes = () => ctx.runtime().config.nodes.map((n) => n.name);
  const fieldsOf = (action: string): ParamField[] | null => {
    const plugin = ctx.runtime().registry.plugins.get(action);
    return plugin ? paramFields(plugin.params) : null;
  };
  type PageState = Omit<Parameters<typeof renderRunPage>[1], 'actions' | 'nodes' | 'paused'>;
  const send = (res: Response, status: number, s: PageState) =>
    kit.send(
      res,
      status,
      renderRunPage(kit.frame(res), {
        ...s,
        actions: catalogue(),
        nodes: nodes(),
        paused: ctx.store.getPause() !== null,
      }),
    );
  const blank = { values: {}, errors: {}, problem: null, dryRun: false, reason: '' };

  router.get('/run', ...kit.page, (req, res) => {
    const action = typeof req.query.action === 'string' ? req.query.action : '';
    const node = typeof req.query.node === 'string' ? req.query.node.trim() : '';
    const fields = action ? fieldsOf(action) : null;
    const problem = action && !fields ? `Unknown action ${action}: choose one of the list.` : null;
    send(res, problem ? 400 : 200, { ...blank, action, node, fields, problem });
  });

  router.post('/run', ...kit.post, (req, res) => {
    const action = bodyField(req, 'action') ?? '';
    const node = (bodyField(req, 'node') ?? '').trim();
    const reason = bodyField(req, 'reason') ?? '';
    const dryRun = bodyField(req, 'dry_run') === 'true';
    const fields = fieldsOf(action);
    const state = { action, node, reason, dryRun };
    if (!fields) return send(res, 400, { ...blank, ...state, fields: null, problem: `Unknown action ${action}.` });
    const submitted: Record<string, string> = {};
    for (const f of fields) submitted[f.name] = bodyField(req, `p.${f.name}`) ?? '';
    submitted[EXTRA_FIELD] = bodyField(req, EXTRA_FIELD) ?? '';
    if (node === '') {
      const problem = 'Name the node to run on: nothing was started.';
      return send(res, 400, { ...state, fields, values: submitted, errors: {}, problem });
    }
    const outcome = readParamForm(fields, submitted, ctx.runtime().registry.validator(action));
    if (Object.keys(outcome.errors).length) {
      const problem = 'The params are not valid for this action: nothing was started. Fix the fields marked below.';
      return send(res, 400, { ...state, fields, values: outcome.values, errors: outcome.errors, problem });
    }
    try {
      const job = runManually(ctx, kit.session(res).actor, source(req), {
        action,
        node,
        params: outcome.params,
        dryRun,
        ...(reason !== '' ? { reason } : {}),
        whilePaused: bodyField(req, 'while_paused') === 'true',
      });
      kit.session(res).flash = `Job ${job.id} started: ${action} on ${job.request.node}.`;
      res.redirect(303, jobPath(job.id));
    } catch (err) {
      const e = httpErrorView(err);
      if (e.status >= 500) ctx.log.error({ err, action, node }, 'dashboard run failed');
      const problem =
        e.status >= 500
          ? 'RUNE could not start the run (see the server log); nothing was started.'
          : `Not started: ${e.message}`;
      send(res, e.status, { ...state, fields, values: outcome.values, errors: {}, problem });
    }
  });
  return router;
}
