import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { globToRegExp } from '../util/glob';

/** One usable line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  marker: '' | '@revoked' | '@cert-authority';
  patterns: string;
  keyType: string;
  key: Buffer;
  line: number;
}

export type HostKeyVerdict =
  | { ok: true }
  | {
      ok: false;
      reason: 'unknown' | 'mismatch' | 'revoked';
      offeredType: string;
      fingerprint: string;
      knownTypes: string[];
    };

/** Parses known_hosts text (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"); malformed lines are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'] = '';
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority')
      marker = fields.shift() as KnownHostEntry['marker'];
    const [patterns, keyType, b64] = fields;
    if (!patterns || !keyType || !b64) return;
    entries.push({ marker, patterns, keyType, key: Buffer.from(b64, 'base64'), line: i + 1 });
  });
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Does a pattern list (`a,b,!c`, `|1|salt|hash`, wildcards) match `name`? Negation wins. */
export function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    const expected = Buffer.from(hash, 'base64');
    return expected.length === digest.length && timingSafeEqual(expected, digest);
  }
  let matched = false;
  for (const p of patterns.split(',')) {
    const negated = p.startsWith('!');
    const body = negated ? p.slice(1) : p;
    if (globToRegExp(body, { ignoreCase: true }).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** The key type named inside an SSH public key blob (RFC 4253 §6.6: string type, then data). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Entries (not revoked, not CA) that name this host. */
export function entriesFor(entries: KnownHostEntry[], host: string, port: number): KnownHostEntry[] {
  const name = knownHostsName(host, port);
  return entries.filter((e) => e.marker === '' && hostMatches(e.patterns, name));
}

/**
 * Strict check, no trust-on-first-use: the offered key must be listed for this host.
 * @cert-authority lines are not supported and never match.
 */
export function verifyHostKey(entries: KnownHostEntry[], host: string, port: number, offered: Buffer): HostKeyVerdict {
  const offeredType = keyTypeOf(offered);
  const fp = fingerprint(offered);
  if (entries.some((e) => e.marker === '@revoked' && e.key.equals(offered))) {
    return { ok: false, reason: 'revoked', offeredType, fingerprint: fp, knownTypes: [] };
  }
  const mine = entriesFor(entries, host, port);
  if (mine.some((e) => e.key.equals(offered))) return { ok: true };
  return {
    ok: false,
    reason: mine.length === 0 ? 'unknown' : 'mismatch',
    offeredType,
    fingerprint: fp,
    knownTypes: [...new Set(mine.map((e) => e.keyType))],
  };
}

/** ssh2 host key algorithm names to ask for, so the server offers a type we know for it. */
export function hostKeyAlgorithmsFor(keyTypes: string[]): string[] {
  const out: string[] = [];
  for (const t of keyTypes) {
    if (t === 'ssh-rsa') out.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa');
    else out.push(t);
  }
  return [...new Set(out)];
}
