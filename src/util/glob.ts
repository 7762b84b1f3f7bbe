/**
 * A shell-style glob (`*` any run of characters, `?` one character, nothing else special) as an
 * anchored regular expression. Used for node names in the inventory, operator scopes and known_hosts
 * patterns (host names: case does not matter there), so the three agree on what a pattern means.
 */
export function globToRegExp(glob: string, o: { ignoreCase?: boolean } = {}): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, o.ignoreCase ? 'i' : '');
}
