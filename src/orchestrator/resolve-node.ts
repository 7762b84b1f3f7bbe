import type { NodeSpec, RuneConfig } from '../config/config-types';
import { RuneError } from '../core/errors';
import { isTemplate, parseTemplate } from '../config/parse-template';
import { renderTemplate } from '../config/render-template';
import { isSsmInstanceId } from '../transports/ssm-instance-id';
import { parseDuration } from '../util/duration';
import type { JumpHost, Target } from '../transports/transport';
import type { AlertRef, TransportKind } from '../core/types';
import { canonicalHost, findNode } from './find-node';

// A host name (RFC 1123 labels), an IPv4 address or a bracket-less IPv6 address. Anything else
// (spaces, quotes, `;`, `/`, newlines) is refused before it can reach a connection or a log line.
const NODE_NAME =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9_-]{0,62})?)(\.[A-Za-z0-9]([A-Za-z0-9_-]{0,62})?)*\.?$|^[0-9A-Fa-f:.]{2,45}$/;

export interface ResolveEnv {
  /** RUNE_SSH_USER, then the OS user: used when neither the node nor defaults name one. */
  fallbackUser: string;
}

/**
 * Finds `name` in the inventory (findNode: name, literal `instance_id`, address, glob; case and a
 * trailing dot do not matter) and fills in every connection setting. Pure. Throws UNKNOWN_NODE: RUNE touches no host
 * that is not listed. For SSM, `alert` renders a templated `instance_id`.
 */
export function resolveNode(
  config: RuneConfig,
  name: string,
  env: ResolveEnv,
  transportOverride?: TransportKind,
  alert?: AlertRef | null,
): Target {
  if (!NODE_NAME.test(canonicalHost(name).host)) {
    throw new RuneError('UNKNOWN_NODE', `node ${JSON.stringify(name)} is not a valid host name or address`, {
      node: name,
    });
  }
  const found = findNode(config, name);
  const spec = found?.spec;
  const matchedName = found?.name ?? name;
  if (!spec) {
    const known = config.nodes.map((n) => n.name);
    const knownText = known.length
      ? ` (known: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''})`
      : ' (no nodes: listed)';
    throw new RuneError('UNKNOWN_NODE', `node "${name}" is not in the inventory of ${config.source}${knownText}`, {
      node: name,
      config: config.source,
    });
  }
  const d = config.defaults;
  const transport: TransportKind =
    transportOverride ?? spec.transport ?? (matchedName === 'localhost' ? 'local' : d.transport);
  const target: Target = {
    node: matchedName,
    transport,
    address: spec.address ?? matchedName,
    port: spec.port ?? d.port,
    user: spec.user ?? d.user ?? env.fallbackUser,
    connectTimeoutMs: parseDuration(spec.connect_timeout ?? d.connect_timeout) ?? 10_000,
  };
  if (transport === 'ssm') target.instanceId = instanceIdOf(spec, matchedName, alert ?? null);
  else if (spec.instance_id !== undefined && !isTemplate(spec.instance_id)) target.instanceId = spec.instance_id;
  const jump = spec.jump ?? d.jump;
  if (jump !== undefined && jump !== 'none' && target.transport === 'ssh') target.jump = parseJump(jump, target.user);
  return target;
}

/**
 * The node's SSM instance id: its `instance_id` (rendered with the alert's labels when it is a
 * template), else its name when that is an instance id (`--node i-0123456789abcdef0`). Checked
 * against SSM's own pattern (docs/protocols.md §4.1) before it goes anywhere.
 */
function instanceIdOf(spec: NodeSpec, node: string, alert: AlertRef | null): string {
  const fail = (why: string): never => {
    throw new RuneError('SSM_INVALID_INSTANCE', `${node}: ${why}`, { node, instance_id: spec.instance_id ?? null });
  };
  const source = spec.instance_id;
  if (source === undefined) {
    return isSsmInstanceId(node)
      ? node
      : fail(
          'no instance id for the ssm transport: give the node an instance_id (i-… or mi-…), ' +
            'or name it by its instance id',
        );
  }
  if (!isTemplate(source))
    return isSsmInstanceId(source)
      ? source
      : fail(`instance_id ${JSON.stringify(source)} is not an SSM instance id (i-… or mi-…)`);
  if (!alert) {
    return isSsmInstanceId(node)
      ? node
      : fail(
          `instance_id is the template ${JSON.stringify(source)} and there is no alert to render it from: ` +
            'run it with --node <instance id>',
        );
  }
  const parsed = parseTemplate(source);
  if (!parsed.ok)
    throw new RuneError(
      'CONFIG_INVALID',
      `${node}: instance_id ${JSON.stringify(source)}: column ${parsed.column}: ${parsed.reason}`,
      { node },
    );
  const value = renderTemplate(parsed.template, {
    ...alert,
    status: alert.status === 'resolved' ? 'resolved' : 'firing',
  });
  if (value === '')
    return fail(`instance_id ${JSON.stringify(source)} rendered empty for this alert (is the label missing?)`);
  return isSsmInstanceId(value)
    ? value
    : fail(
        `instance_id ${JSON.stringify(source)} rendered ${JSON.stringify(value)}, ` +
          'which is not an SSM instance id (i-… or mi-…)',
      );
}

/**
 * `[user@]host[:port]` (OpenSSH's ProxyJump form; IPv6 in brackets) → JumpHost. The user defaults
 * to the node's, the port to 22, as with `ssh -J`. The schema has checked the shape already.
 */
export function parseJump(spec: string, defaultUser: string): JumpHost {
  const m = /^(?:([^@]+)@)?(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(spec);
  const port = m?.[4] === undefined ? 22 : Number(m[4]);
  if (!m || port < 1 || port > 65535)
    throw new RuneError('CONFIG_INVALID', `jump host ${JSON.stringify(spec)} is not [user@]host[:port]`);
  return { address: (m[2] ?? m[3]) as string, port, user: m[1] ?? defaultUser };
}
