import express from 'express';
import type { AppContext } from '../../app/context';
import { RuneError } from '../../core/errors';
import type { AuditFilter } from '../../store/store';
import type { RequestAuth } from '../request-auth';
import { checkAuditQuery } from '../request-schemas';
import { readQuery } from '../validate-request';

/** GET /api/v1/audit (admin): every trigger and admin act, newest first, with a cursor for the next page. */
export function auditRoutes(ctx: AppContext, auth: RequestAuth): express.Router {
  const router = express.Router();
  router.get('/api/v1/audit', auth.actor('admin', 'GET /api/v1/audit'), (req, res) => {
    const q = readQuery(req, checkAuditQuery, ['limit']);
    const filter: AuditFilter = { limit: q.limit ?? 100 };
    if (q.since !== undefined && q.since !== '') {
      const t = Date.parse(q.since);
      if (!/^\d{4}-\d{2}-\d{2}/.test(q.since) || Number.isNaN(t)) {
        const got = JSON.stringify(q.since.slice(0, 40));
        throw new RuneError('BAD_REQUEST', `since must be an ISO 8601 time (e.g. 2024-05-01T10:00:00Z), got ${got}`);
      }
      filter.since = new Date(t).toISOString();
    }
    if (q.actor) filter.actor = q.actor;
    if (q.action) filter.action = q.action;
    if (q.cursor !== undefined) filter.before = Number(q.cursor);
    const records = ctx.store.queryAudit(filter);
    const last = records[records.length - 1];
    res.json({
      records: records.map(({ seq, ...r }) => ({ id: seq, ...r })),
      next_cursor: records.length === filter.limit && last ? String(last.seq) : null,
    });
  });
  return router;
}
