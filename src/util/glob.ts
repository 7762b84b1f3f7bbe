/**
 * A shell-style glob (`*` any run of characters, `?` one character, nothing else special) as an
 * anchored regular expression, as OpenSSH matches known_hosts patterns (`*` crosses dots there).
 */
export function globToRegExp(glob: string, o: { ignoreCase?: boolean } = {}): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, o.ignoreCase ? 'i' : '');
}

/**
 * A node-name glob with DNS wildcard semantics (docs/configuration.md, Inventory): `*` is any run
 * of characters within one label and `?` one character, neither crosses a dot; case does not
 * matter. So `web-*` matches `web-1` but never `web-1.evil.example`, and `*.prod.example` matches
 * `db.prod.example` but not `a.b.prod.example`.
 */
export function nodeGlobToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^.]*')
    .replace(/\?/g, '[^.]');
  return new RegExp(`^${body}$`, 'i');
}
