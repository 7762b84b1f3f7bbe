import { RuneError } from '../core/errors';
import { DEFAULTS } from './defaults';

/**
 * `10.0.0.5:9095`, `:9095` (loopback), `0.0.0.0:9095`, `[::1]:9095`. `from` names where the value
 * came from (`--listen` or `RUNE_LISTEN`), for the error.
 */
export function parseListen(value: string, from = 'RUNE_LISTEN'): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new RuneError('USAGE', `${from} must be host:port (e.g. ${DEFAULTS.listen}), got ${JSON.stringify(value)}`);
  // An empty host means loopback, not every interface: exposing RUNE must be a decision.
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** The URL a client uses for a listen address: a wildcard host is reached on loopback. */
export function listenUrl(listen: { host: string; port: number }): string {
  const { host, port } = listen;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}
