import type { RequestHandler } from 'express';
import { RuneError } from '../core/errors';

/** What `--insecure-no-auth` answers, as docs and messages say it. */
export const LOOPBACK_NAMES = 'localhost, 127.0.0.0/8 or [::1]';

/** A Host header's shape: a name or IPv4 address, or a bracketed IPv6 address; an optional port. */
const HOST_SHAPE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

/**
 * Whether a Host header names this machine's loopback: `localhost`, an address in 127.0.0.0/8 or
 * `[::1]`, with any port. Addresses are compared as a browser writes them (WHATWG URL), so every
 * spelling of a loopback address counts and nothing else does (no `localhost.evil.example`).
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host || !HOST_SHAPE.test(host)) return false;
  let name: string;
  try {
    name = new URL(`http://${host}/`).hostname;
  } catch {
    return false;
  }
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/**
 * `--insecure-no-auth` opens every endpoint to whoever reaches the port. A web page of any site
 * could reach it too, through DNS rebinding (its own name made to resolve to 127.0.0.1, so the
 * browser treats RUNE as that site); its requests carry that site's name in `Host`. So with the
 * flag only loopback host names are answered (docs/security.md).
 */
export function loopbackHostOnly(): RequestHandler {
  return (req, _res, next) => {
    const host = req.get('host');
    if (isLoopbackHost(host)) {
      next();
      return;
    }
    const named = host === undefined ? 'no Host header' : `Host ${JSON.stringify(host.slice(0, 100))}`;
    const port = HOST_SHAPE.exec(host ?? '')?.[2] ?? '';
    const message =
      `${named}: with --insecure-no-auth RUNE answers only requests to ${LOOPBACK_NAMES} ` +
      `(any other name could be a web page reaching it through DNS rebinding); open it as http://localhost${port}/, ` +
      'or run with authentication (RUNE_API_TOKENS_FILE) to serve other names';
    next(new RuneError('HOST_NOT_LOOPBACK', message));
  };
}
