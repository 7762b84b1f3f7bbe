import type { NodeSpec, RuneConfig } from '../config/config-types';
import { RuneError } from '../errors';
import { parseDuration } from '../util/duration';
import type { JumpHost, Target } from '../transports/transport';
import type { TransportKind } from '../types';

// A host name (RFC 1123 labels), an IPv4 address or a bracket-less IPv6 address. Anything else
// (spaces, quotes, `;`, `/`, newlines) is refused before it can reach a connection or a log line.
const NODE_NAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9_-]{0,62})?)(\.[A-Za-z0-9]([A-Za-z0-9_-]{0,62})?)*\.?$|^[0-9A-Fa-f:.]{2,45}$/;

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

export interface ResolveEnv {
  /** RUNE_SSH_USER, then the OS user: used when neither the node nor defaults name one. */
  fallbackUser: string;
}

/**
 * Finds `name` in the inventory (exact name, then address, then glob) and fills in every
 * connection setting. Pure. Throws UNKNOWN_NODE: RUNE touches no host that is not listed.
 */
export function resolveNode(config: RuneConfig, name: string, env: ResolveEnv, transportOverride?: TransportKind): Target {
  if (!NODE_NAME.test(name)) {
    throw new RuneError('UNKNOWN_NODE', `node ${JSON.stringify(name)} is not a valid host name or address`, { node: name });
  }
  let spec: NodeSpec | undefined = config.nodes.find((n) => n.name === name);
  let matchedName = name;
  if (!spec) spec = config.nodes.find((n) => n.address === name);
  if (spec) matchedName = spec.name;
  else spec = config.nodes.find((n) => /[*?]/.test(n.name) && globToRegExp(n.name).test(name));
  if (!spec) {
    const known = config.nodes.map((n) => n.name);
    throw new RuneError(
      'UNKNOWN_NODE',
      `node "${name}" is not in the inventory of ${config.source}${known.length ? ` (known: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''})` : ' (no nodes: listed)'}`,
      { node: name, config: config.source },
    );
  }
  const d = config.defaults;
  const transport: TransportKind = transportOverride ?? spec.transport ?? (matchedName === 'localhost' ? 'local' : d.transport);
  const target: Target = {
    node: matchedName,
    transport,
    address: spec.address ?? matchedName,
    port: spec.port ?? d.port,
    user: spec.user ?? d.user ?? env.fallbackUser,
    connectTimeoutMs: parseDuration(spec.connect_timeout ?? d.connect_timeout) ?? 10_000,
  };
  if (spec.instance_id !== undefined) target.instanceId = spec.instance_id;
  const jump = spec.jump ?? d.jump;
  if (jump !== undefined && jump !== 'none' && target.transport === 'ssh') target.jump = parseJump(jump, target.user);
  return target;
}

/**
 * `[user@]host[:port]` (OpenSSH's ProxyJump form; IPv6 in brackets) → JumpHost. The user defaults
 * to the node's, the port to 22, as with `ssh -J`. The schema has checked the shape already.
 */
export function parseJump(spec: string, defaultUser: string): JumpHost {
  const m = /^(?:([^@]+)@)?(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(spec);
  const port = m?.[4] === undefined ? 22 : Number(m[4]);
  if (!m || port < 1 || port > 65535) throw new RuneError('CONFIG_INVALID', `jump host ${JSON.stringify(spec)} is not [user@]host[:port]`);
  return { address: (m[2] ?? m[3]) as string, port, user: m[1] ?? defaultUser };
}
