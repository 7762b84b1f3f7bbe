import express from 'express';
import { cancelJob } from '../../app/cancel-job';
import type { AppContext } from '../../app/context';
import { findJob } from '../../app/find-job';
import { releaseNode } from '../../app/release-node';
import { retryJob } from '../../app/retry-job';
import { runManually } from '../../app/run-manually';
import type { JobFilter } from '../../store/store';
import { actorOf, sourceOf, type RequestAuth } from '../request-auth';
import {
  checkCancelBody,
  checkJobListQuery,
  checkManualRunBody,
  checkReasonBody,
  checkRetryBody,
  type JobListQuery,
} from '../request-schemas';
import { readBody, readQuery } from '../validate-request';
import { jobView } from '../views';

/** The catalogue and the jobs API (docs/api.md): viewers read, operators run within their scope. */
export function jobsRoutes(ctx: AppContext, auth: RequestAuth, raw: express.RequestHandler): express.Router {
  const router = express.Router();
  // The rule run's verification and silence go with each of its jobs (docs/api.md): primary-key reads.
  const view = (j: Parameters<typeof jobView>[0]) =>
    jobView(
      j,
      ctx.publicUrl,
      j.chainId === null
        ? {}
        : { verification: ctx.store.getVerification(j.chainId), silence: ctx.store.getRunSilence(j.chainId) },
    );

  router.get('/api/v1/actions', auth.actor('read', 'GET /api/v1/actions'), (_req, res) => {
    const { registry } = ctx.runtime();
    const actions = [...registry.plugins.values()].map((p) => ({
      name: p.name,
      version: p.version,
      description: p.description,
      mutating: p.mutating,
      become: p.become,
      timeout_ms: p.timeoutMs,
      params: p.params,
    }));
    res.json({ actions, problems: registry.problems });
  });

  router.get('/api/v1/jobs', auth.actor('read', 'GET /api/v1/jobs'), (req, res) => {
    const q = readQuery(req, checkJobListQuery, ['limit']);
    const filter: JobFilter = { limit: q.limit ?? 50 };
    for (const k of [
      'node',
      'rule',
      'incident',
      'action',
      'before',
      'status',
    ] as const satisfies (keyof JobListQuery)[]) {
      const v = q[k];
      if (v !== undefined && v !== '') Object.assign(filter, { [k]: v });
    }
    // The node as the inventory names it: `?node=10.0.1.23` finds web-1's jobs (docs/safety.md, Node identity).
    if (filter.node !== undefined) filter.node = ctx.runtime().canonicalNode(filter.node);
    res.json({ jobs: ctx.store.listJobs(filter).map(view) });
  });

  router.get('/api/v1/jobs/:id', auth.actor('read', 'GET /api/v1/jobs/:id'), (req, res) => {
    res.json(view(findJob(ctx, String(req.params.id))));
  });

  router.post('/api/v1/jobs', auth.actor('run', 'POST /api/v1/jobs'), raw, (req, res) => {
    const b = readBody(req, checkManualRunBody);
    const job = runManually(ctx, actorOf(res), sourceOf(req), {
      action: b.action,
      node: b.node,
      ...(b.params ? { params: b.params } : {}),
      dryRun: b.dry_run === true,
      ...(b.reason !== undefined ? { reason: b.reason } : {}),
      whilePaused: b.while_paused === true,
    });
    res.status(202).json({ status: 'accepted', job_id: job.id, links: { self: `/api/v1/jobs/${job.id}` } });
  });

  router.post('/api/v1/jobs/:id/retry', auth.actor('run', 'POST /api/v1/jobs/:id/retry'), raw, (req, res) => {
    const b = readBody(req, checkRetryBody, { optional: true });
    const options = { whilePaused: b.while_paused === true, reason: b.reason ?? null };
    const { job, old } = retryJob(ctx, actorOf(res), sourceOf(req), String(req.params.id), options);
    const links = { self: `/api/v1/jobs/${job.id}` };
    res.status(202).json({ status: 'accepted', job_id: job.id, retry_of: old.id, links });
  });

  router.post('/api/v1/jobs/:id/cancel', auth.actor('run', 'POST /api/v1/jobs/:id/cancel'), raw, (req, res) => {
    const b = readBody(req, checkCancelBody, { optional: true });
    const id = String(req.params.id);
    const out = cancelJob(ctx, actorOf(res), sourceOf(req), id, b.reason ?? null, b.force === true);
    res.status(out.status === 'cancelling' ? 202 : 200).json(out);
  });

  const release = 'POST /api/v1/jobs/:id/release';
  router.post('/api/v1/jobs/:id/release', auth.actor('run', release), raw, (req, res) => {
    const b = readBody(req, checkReasonBody, { optional: true });
    const out = releaseNode(ctx, actorOf(res), sourceOf(req), String(req.params.id), b.reason ?? null);
    res.json({ status: 'released', job_id: out.job.id, node: out.node });
  });
  return router;
}
