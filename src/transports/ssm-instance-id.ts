/**
 * SSM's InstanceId pattern, exactly as the API model documents it (docs/protocols.md §4.1):
 * `(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)`. Real ids are lower-case hex, but RUNE refuses nothing SSM
 * accepts. `\w` is [A-Za-z0-9_]: no character of an accepted id means anything to a shell, which
 * is why an id may appear as a `case` pattern in the node-side script (ssm-command.ts).
 */
export const SSM_INSTANCE_ID = /(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)/;

export function isSsmInstanceId(value: string): boolean {
  return SSM_INSTANCE_ID.test(value);
}
