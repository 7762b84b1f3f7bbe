import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Actor, Permission } from '../auth/actor';
import { credentialFrom, findToken, type NamedToken } from '../auth/check-token';
import { requirePermission } from '../app/authorize';
import type { AppContext } from '../app/context';
import { RuneError } from '../core/errors';
import { verifyPagerDutySignature } from '../sources/pagerduty/verify-pagerduty-signature';

/** The secrets the HTTP edge checks, and the explicit opt-out for local experiments. */
export interface EdgeAuth {
  /** RUNE_WEBHOOK_TOKEN(_FILE): the Alertmanager webhook's bearer (or basic-auth password). */
  webhookTokens: NamedToken[];
  /** RUNE_PAGERDUTY_SECRETS(_FILE): v3 webhook signing secrets, several during a rotation. */
  pagerdutySecrets: string[];
  /** `--insecure-no-auth`: every endpoint open, every caller an admin. For local experiments only. */
  insecureNoAuth: boolean;
}

/** `--insecure-no-auth`: everyone is this admin, and the audit log says so. */
export const INSECURE_ACTOR: Actor = {
  name: 'anonymous (--insecure-no-auth)',
  role: 'admin',
  actions: null,
  nodes: null,
};

/** The TCP peer: what the failed-auth limit and the audit log key on (no proxy headers are trusted). */
export function sourceOf(req: Request): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/** The caller `requireActor` let through. */
export function actorOf(res: Response): Actor {
  return res.locals.actor as Actor;
}

/**
 * Counts a failed authentication from `source` (docs/security.md, Rate limiting): the Retry-After
 * in seconds when the address is over its limit (answer 429), else 0 (answer 401). Logged once
 * per address and window, when the limit is reached.
 */
export function countFailedAuth(ctx: Pick<AppContext, 'failedAuth' | 'log'>, source: string, path: string): number {
  const { retryAfterS, reachedNow } = ctx.failedAuth.fail(source);
  if (reachedNow) {
    const message =
      `failed authentication limit reached for ${source}: its further failures get 429 for the rest of the ` +
      'minute (requests with a valid credential are still served)';
    ctx.log.warn({ source, path }, message);
  }
  return retryAfterS;
}

/**
 * The authentication of every endpoint but the lifecycle probes (docs/security.md), in one place.
 * The credential is always checked first: a valid one is served whatever its address did before;
 * a missing or unknown one is 401, or 429 once its address is over the failed-auth limit.
 */
export function createRequestAuth(ctx: AppContext, auth: EdgeAuth) {
  const failed = (req: Request, what: string): RuneError => {
    const from = sourceOf(req);
    const wait = countFailedAuth(ctx, from, req.path);
    if (wait === 0) return new RuneError('UNAUTHENTICATED', what);
    const message = `${what}; too many failed authentications from ${from}: retry in ${wait} s`;
    return new RuneError('TOO_MANY_FAILURES', message, { retry_after_s: wait });
  };
  const handler =
    (check: (req: Request, res: Response) => void): RequestHandler =>
    (req: Request, res: Response, next: NextFunction) => {
      check(req, res);
      next();
    };
  return {
    /** An API token (RUNE_API_TOKENS_FILE) whose role allows `permission`; 403 (audited) when it does not. */
    actor: (permission: Permission, what: string): RequestHandler =>
      handler((req, res) => {
        if (auth.insecureNoAuth) {
          res.locals.actor = INSECURE_ACTOR;
          return;
        }
        const offered = credentialFrom(req.get('authorization'));
        const actor = offered === null ? null : ctx.authenticate(offered);
        if (!actor) {
          throw failed(
            req,
            'missing or unknown API token (Authorization: Bearer <token>; tokens come from RUNE_API_TOKENS_FILE, ' +
              'see `rune tokens add`)',
          );
        }
        requirePermission(ctx, actor, sourceOf(req), permission, what);
        res.locals.actor = actor;
      }),

    /** Alertmanager's webhook: the configured token as a bearer, or as basic auth's password. */
    webhookToken: (): RequestHandler =>
      handler((req) => {
        if (auth.insecureNoAuth) return;
        if (auth.webhookTokens.length === 0) {
          throw new RuneError(
            'UNAUTHENTICATED',
            'the Alertmanager webhook is closed: set RUNE_WEBHOOK_TOKEN (or RUNE_WEBHOOK_TOKEN_FILE)',
          );
        }
        if (!findToken(req.get('authorization'), auth.webhookTokens)) {
          throw failed(
            req,
            'missing or wrong webhook token (Authorization: Bearer, or basic auth with the token as password)',
          );
        }
      }),

    /** PagerDuty v3: an HMAC of the raw body under one of the secrets (docs/protocols.md §2.3). */
    pagerdutySignature: (): RequestHandler =>
      handler((req) => {
        if (auth.insecureNoAuth) return;
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const verdict = verifyPagerDutySignature(raw, req.get('x-pagerduty-signature'), auth.pagerdutySecrets);
        if (!verdict.ok) throw new RuneError(verdict.status === 400 ? 'EMPTY_BODY' : 'BAD_SIGNATURE', verdict.reason);
      }),
  };
}

export type RequestAuth = ReturnType<typeof createRequestAuth>;
