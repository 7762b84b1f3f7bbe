/**
 * The `hostname` filter: Prometheus' `instance` label is `host:port` (`10.0.1.23:9100`,
 * `[::1]:9100`, `host.example.com:9100`); RUNE's inventory knows hosts, not scrape targets.
 * A bare IPv6 address (`fe80::1`, several colons, no brackets) has no port to strip and is
 * returned unchanged; brackets around an IPv6 address are removed.
 */
export function stripPort(hostPort: string): string {
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(hostPort);
  if (bracketed) return bracketed[1] as string;
  const colon = hostPort.indexOf(':');
  if (colon === -1 || colon !== hostPort.lastIndexOf(':')) return hostPort;
  return hostPort.slice(0, colon);
}
