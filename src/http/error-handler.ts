import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../core/logger';
import { httpErrorView } from './http-error-view';
import { sourceOf } from './request-auth';

/**
 * Every error becomes a JSON body naming what is wrong, with the catalogue's status
 * (docs/errors.md); faults are logged with their stack, refusals as warnings. Nothing crashes the
 * process.
 */
export function errorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const e = httpErrorView(err);
    if (e.status >= 500) log.error({ err, path: req.path }, 'request failed');
    else log.warn({ path: req.path, status: e.status, code: e.code, source: sourceOf(req) }, e.message);
    if (e.status === 401) res.set('WWW-Authenticate', 'Bearer realm="rune"');
    if (e.status === 429 && typeof e.details.retry_after_s === 'number') {
      res.set('Retry-After', String(e.details.retry_after_s));
    }
    const details = Object.keys(e.details).length ? { details: e.details } : {};
    res.status(e.status).json({ error: { code: e.code, message: e.message, ...details } });
  };
}
