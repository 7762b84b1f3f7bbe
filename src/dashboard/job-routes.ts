import express, { type Request, type Response } from 'express';
import { allows, type Actor } from '../auth/actor';
import { cancelJob } from '../app/cancel-job';
import type { AppContext } from '../app/context';
import { findJob } from '../app/find-job';
import { releaseNode } from '../app/release-node';
import { retryJob } from '../app/retry-job';
import type { Job } from '../core/job';
import { JOB_STATUSES, type JobStatus } from '../core/types';
import { httpErrorView } from '../http/http-error-view';
import type { JobFilter } from '../store/store';
import { bodyField, type DashboardKit } from './dashboard-kit';
import { jobPath } from './format';
import { EXTRA_FIELD, formValues, paramFields, readParamForm, type ParamField } from './param-form';
import { renderJobPage } from './render-job-page';
import { JOB_FILTERS, renderJobsPage, type JobFilterValues } from './render-jobs-page';
import { renderRerunPage } from './render-rerun-page';

const PAGE_SIZE = 50;

/** The jobs list, a job's page, and its Re-run and Cancel forms (docs/dashboard.md). */
export function jobRoutes(ctx: AppContext, kit: DashboardKit): express.Router {
  const router = express.Router();
  const source = (req: Request) => req.socket.remoteAddress ?? 'unknown';

  /** The job named in the path (its id or a unique prefix), or an error page (then undefined). */
  const jobOr404 = (req: Request, res: Response): Job | undefined => {
    try {
      return findJob(ctx, String(req.params.id));
    } catch (err) {
      const e = httpErrorView(err);
      const message =
        e.status === 404
          ? `There is no job ${JSON.stringify(String(req.params.id))}. ` +
            'It may be mistyped, or from another RUNE database.'
          : e.message;
      kit.refuse(res, e.status, e.status === 404 ? 'No such job' : 'Which job?', message);
      return undefined;
    }
  };
  /** The actor may run this job's action on its node, or a 403 page (then false). */
  const mayRun = (res: Response, job: Job, what: string): boolean => {
    const actor = kit.session(res).actor;
    if (allows(actor, 'run', { action: job.request.action, node: job.request.node })) return true;
    const fields = { actor: actor.name, role: actor.role, job_id: job.id };
    ctx.log.warn(fields, `dashboard ${what} refused: role does not allow it`);
    const message = `${actor.name} (${actor.role}) may not ${what} ${job.request.action} on ${job.request.node}.`;
    kit.refuse(res, 403, 'Not allowed', message);
    return false;
  };
  const canRelease = (actor: Actor, job: Job) =>
    job.status === 'outcome_unknown' &&
    job.lockUntil !== null &&
    Date.parse(job.lockUntil) > ctx.now().getTime() &&
    allows(actor, 'run', { action: job.request.action, node: job.request.node });
  const canCancel = (actor: Actor, job: Job) =>
    job.status === 'queued' && allows(actor, 'run', { action: job.request.action, node: job.request.node });

  router.get('/', ...kit.page, (req, res) => {
    const filters: JobFilterValues = {};
    for (const k of JOB_FILTERS) {
      const v = req.query[k];
      if (typeof v === 'string' && v.trim() !== '') filters[k] = v.trim().slice(0, 200);
    }
    const refresh = req.query.refresh === 'on';
    const before =
      typeof req.query.before === 'string' && req.query.before !== '' ? req.query.before.slice(0, 100) : undefined;
    let error: string | null = null;
    let jobs: Job[] = [];
    if (filters.status !== undefined && !JOB_STATUSES.includes(filters.status as JobStatus)) {
      error = `Unknown status ${JSON.stringify(filters.status)}: choose one of ${JOB_STATUSES.join(', ')}.`;
    } else {
      const filter: JobFilter = { limit: PAGE_SIZE + 1 };
      for (const k of ['node', 'rule', 'incident'] as const) if (filters[k] !== undefined) filter[k] = filters[k];
      if (filter.node !== undefined) filter.node = ctx.runtime().canonicalNode(filter.node);
      if (filters.status !== undefined) filter.status = filters.status as JobStatus;
      if (before !== undefined) filter.before = before;
      jobs = ctx.store.listJobs(filter);
    }
    const more = jobs.length > PAGE_SIZE;
    jobs = jobs.slice(0, PAGE_SIZE);
    const olderBefore = more ? (jobs[jobs.length - 1]?.id ?? null) : null;
    const page = renderJobsPage(kit.frame(res), { jobs, filters, statuses: JOB_STATUSES, refresh, error, olderBefore });
    kit.send(res, error ? 400 : 200, page);
  });

  router.get('/jobs/:id', ...kit.page, (req, res) => {
    const job = jobOr404(req, res);
    if (!job) return;
    const actor = kit.session(res).actor;
    const canRerun = allows(actor, 'run', { action: job.request.action, node: job.request.node });
    const page = renderJobPage(kit.frame(res), {
      job,
      canRerun,
      canCancel: canCancel(actor, job),
      canRelease: canRelease(actor, job),
      verification: job.chainId === null ? null : ctx.store.getVerification(job.chainId),
      silence: job.chainId === null ? null : ctx.store.getRunSilence(job.chainId),
    });
    kit.send(res, 200, page);
  });

  // ---- Re-run: a confirmation page with the params editable, checked against the plugin's schema.
  const rerunForm = (job: Job): { fields: ParamField[]; problem: string | null } => {
    const plugin = ctx.runtime().registry.plugins.get(job.request.action);
    if (!plugin) {
      const problem = `The action ${job.request.action} is not in the plugins folder any more: a re-run cannot start.`;
      return { fields: [], problem };
    }
    return { fields: paramFields(plugin.params), problem: null };
  };
  router.get('/jobs/:id/rerun', ...kit.page, (req, res) => {
    const job = jobOr404(req, res);
    if (!job || !mayRun(res, job, 're-run')) return;
    const { fields, problem } = rerunForm(job);
    const values = formValues(fields, job.request.params);
    const paused = ctx.store.getPause() !== null;
    const page = renderRerunPage(kit.frame(res), {
      job,
      fields,
      values,
      errors: {},
      problem,
      paused,
      whilePaused: false,
    });
    kit.send(res, 200, page);
  });

  router.post('/jobs/:id/rerun', ...kit.post, (req, res) => {
    const job = jobOr404(req, res);
    if (!job || !mayRun(res, job, 're-run')) return;
    const { fields, problem } = rerunForm(job);
    const submitted: Record<string, string> = {};
    for (const f of fields) submitted[f.name] = bodyField(req, `p.${f.name}`) ?? '';
    submitted[EXTRA_FIELD] = bodyField(req, EXTRA_FIELD) ?? '';
    const whilePaused = bodyField(req, 'while_paused') === 'true';
    const paused = ctx.store.getPause() !== null;
    const again = (
      status: number,
      values: Record<string, string>,
      errors: Record<string, string[]>,
      message: string | null,
    ) =>
      kit.send(
        res,
        status,
        renderRerunPage(kit.frame(res), { job, fields, values, errors, problem: message, paused, whilePaused }),
      );
    if (problem) {
      again(400, submitted, {}, problem);
      return;
    }
    const outcome = readParamForm(fields, submitted, ctx.runtime().registry.validator(job.request.action));
    if (Object.keys(outcome.errors).length) {
      const message = 'The params are not valid for this action: nothing was started. Fix the fields marked below.';
      again(400, outcome.values, outcome.errors, message);
      return;
    }
    try {
      const options = { params: outcome.params, whilePaused, via: 'dashboard' };
      const { job: created } = retryJob(ctx, kit.session(res).actor, source(req), job.id, options);
      kit.session(res).flash = `Re-run of job ${job.id} started as job ${created.id}.`;
      res.redirect(303, jobPath(created.id));
    } catch (err) {
      const e = httpErrorView(err);
      if (e.status >= 500) ctx.log.error({ err, job_id: job.id }, 'dashboard re-run failed');
      const message =
        e.status >= 500
          ? 'RUNE could not start the re-run (see the server log); nothing was started.'
          : `Not started: ${e.message}`;
      again(e.status, outcome.values, {}, message);
    }
  });

  /** The job page again, as it is now, with why the button did nothing (409). */
  const refusedPage = (res: Response, job: Job, message: string): void => {
    const fresh = ctx.store.getJob(job.id) ?? job;
    const page = renderJobPage(kit.frame(res), {
      job: fresh,
      canRerun: true,
      canCancel: canCancel(kit.session(res).actor, fresh),
      cancelError: message,
    });
    kit.send(res, 409, page);
  };
  router.post('/jobs/:id/cancel', ...kit.post, (req, res) => {
    const job = jobOr404(req, res);
    if (!job || !mayRun(res, job, 'cancel')) return;
    const reason = (bodyField(req, 'reason') ?? '').trim().slice(0, 500) || 'cancelled from the dashboard';
    const actor = kit.session(res).actor;
    try {
      const out = cancelJob(ctx, actor, source(req), job.id, reason, false);
      kit.session(res).flash =
        out.status === 'cancelled' ? `Job ${job.id} ${out.reason}.` : `Job ${job.id} is being stopped (${out.reason}).`;
      res.redirect(303, jobPath(job.id));
    } catch (err) {
      refusedPage(res, job, `Not cancelled: ${httpErrorView(err).message}`);
    }
  });
  router.post('/jobs/:id/release', ...kit.post, (req, res) => {
    const job = jobOr404(req, res);
    if (!job || !mayRun(res, job, 'release')) return;
    const reason = (bodyField(req, 'reason') ?? '').trim().slice(0, 500) || 'released from the dashboard';
    try {
      const out = releaseNode(ctx, kit.session(res).actor, source(req), job.id, reason);
      kit.session(res).flash = `Node ${out.node} released from job ${job.id}: mutating jobs may run there now.`;
      res.redirect(303, jobPath(job.id));
    } catch (err) {
      refusedPage(res, job, `Not released: ${httpErrorView(err).message}`);
    }
  });
  return router;
}
