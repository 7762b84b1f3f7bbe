import type { NodeSpec, RuneConfig } from '../config/config-types';
import { isTemplate } from '../config/parse-template';
import { RuneError } from '../core/errors';
import { nodeGlobToRegExp } from '../util/glob';

/** A node as asked (a label, an API body, `?node=`) and the inventory node it is. */
export interface FoundNode {
  spec: NodeSpec;
  /** The inventory name: the entry's name, or for a glob entry the asked name in canonical form. */
  name: string;
}

/**
 * One spelling per host (docs/safety.md, Node identity): host names are case-insensitive and a
 * trailing dot names the same host (RFC 1034 §3.1), so `WEB-1.` is `web-1`. A `:port` suffix
 * (`10.0.1.23:22`, `[::1]:22`) is split off and returned for the inventory to check.
 */
export function canonicalHost(asked: string): { host: string; port: number | null } {
  let host = asked.trim();
  let port: number | null = null;
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(host);
  const v4OrName = /^([^:]+):(\d{1,5})$/.exec(host);
  if (v6) {
    host = v6[1] as string;
    port = v6[2] === undefined ? null : Number(v6[2]);
  } else if (v4OrName) {
    host = v4OrName[1] as string;
    port = Number(v4OrName[2]);
  }
  return { host: host.replace(/\.$/, '').toLowerCase(), port };
}

/**
 * The inventory node a name stands for: by name, then by a literal instance id, then by address,
 * then by glob, each compared in canonical form (canonicalHost). Null when none is: the caller says
 * UNKNOWN_NODE. An address two entries share is refused: neither lock would cover the other.
 */
export function findNode(config: RuneConfig, asked: string): FoundNode | null {
  const { host, port } = canonicalHost(asked);
  const portOk = (n: NodeSpec) => port === null || port === (n.port ?? config.defaults.port);
  const literal = (n: NodeSpec) => !/[*?]/.test(n.name);
  const byName = config.nodes.find((n) => literal(n) && canonicalHost(n.name).host === host && portOk(n));
  if (byName) return { spec: byName, name: byName.name };
  // A listed instance id names its node (`--node i-… --ssm`).
  const byInstance = config.nodes.find(
    (n) =>
      literal(n) && n.instance_id !== undefined && !isTemplate(n.instance_id) && n.instance_id.toLowerCase() === host,
  );
  if (byInstance) return { spec: byInstance, name: byInstance.name };
  const byAddress = config.nodes.filter(
    (n) => n.address !== undefined && canonicalHost(n.address).host === host && portOk(n),
  );
  if (byAddress.length > 1) {
    const names = byAddress.map((n) => n.name).join(', ');
    throw new RuneError(
      'UNKNOWN_NODE',
      `address ${asked} is the address of several inventory nodes (${names}): name the node, or give its port`,
      { node: asked, candidates: byAddress.map((n) => n.name) },
    );
  }
  if (byAddress[0]) return { spec: byAddress[0], name: byAddress[0].name };
  const byGlob = config.nodes.find((n) => !literal(n) && nodeGlobToRegExp(n.name).test(host) && portOk(n));
  return byGlob ? { spec: byGlob, name: host } : null;
}

/**
 * The name every guard, lock and query keys a node on: its inventory name, or (not in the
 * inventory: such a run fails with UNKNOWN_NODE) the asked name in canonical form.
 */
export function canonicalNodeName(config: RuneConfig, asked: string): string {
  try {
    return findNode(config, asked)?.name ?? canonicalHost(asked).host;
  } catch {
    return canonicalHost(asked).host;
  }
}
