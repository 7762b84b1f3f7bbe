/** Exit code the wrapper uses for its own failures (staging the plugin), distinct from the plugin's. */
export const WRAPPER_SETUP_EXIT = 125;

/**
 * Builds the POSIX sh script that runs a plugin on a node (SSH, local; SSM wraps the same text).
 *
 * Only RUNE-controlled text goes into it: fixed shell, the plugin file as base64 (alphabet
 * [A-Za-z0-9+/=], so it cannot break out of its quotes) and integers. Params, labels and the
 * rest of the payload never appear here: they reach the plugin on stdin.
 *
 * - umask 077 + mktemp -d: the staged file is private; the EXIT trap removes it whatever happens.
 * - `timeout -k`: the node itself ends a plugin that overruns (TERM, then KILL to its whole
 *   process group), so a hung plugin dies even if RUNE's connection is gone.
 * - become: `sudo -n` (never prompts) only when the remote user is not already root.
 * - cancel: the plugin runs as a background job the shell waits for, so a TERM or INT sent to the
 *   shell (RUNE cancelling the run: SSH `signal` request, or a local kill) interrupts the wait at
 *   once and is passed on to `timeout`, which passes it to the plugin (and KILLs it after the
 *   grace). A background job's stdin would be /dev/null, so the payload reaches it through fd 3.
 *   A HUP (session gone) does not stop a running plugin: `timeout` still bounds it.
 */
export function buildWrapperScript(opts: {
  script: Buffer;
  timeoutMs: number;
  become: boolean;
  killGraceMs: number;
}): string {
  const b64 = opts.script.toString('base64');
  const seconds = (Math.max(opts.timeoutMs, 1) / 1000).toFixed(3);
  const killAfter = Math.max(1, Math.round(opts.killGraceMs / 1000));
  const sudo = opts.become ? `if [ "$(id -u)" -ne 0 ]; then set -- sudo -n -- "$@"; fi\n` : '';
  const setupFailed = (what: string) => `{ echo "rune: ${what}" >&2; exit ${WRAPPER_SETUP_EXIT}; }`;
  const withTimeout = `set -- timeout -k ${killAfter} ${seconds} "$d/plugin"`;
  const cannotStage = setupFailed('cannot stage the plugin (base64 missing or disk full?)');
  return `set -u
umask 077
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; export PATH
d=$(mktemp -d "\${TMPDIR:-/tmp}/rune.XXXXXXXXXX") || ${setupFailed('mktemp failed on this node')}
trap 'rm -rf "$d"' EXIT
child=
trap 'if [ -z "$child" ]; then exit 129; fi' HUP
trap 'if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; else exit 130; fi' INT
trap 'if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; else exit 143; fi' TERM
printf '%s' '${b64}' | base64 -d > "$d/plugin" || ${cannotStage}
chmod 700 "$d/plugin"
if command -v timeout >/dev/null 2>&1; then ${withTimeout}; else set -- "$d/plugin"; fi
${sudo}exec 3<&0
"$@" <&3 3<&- &
child=$!
exec 3<&- 0</dev/null
rc=0
wait "$child" || rc=$?
while kill -0 "$child" 2>/dev/null; do rc=0; wait "$child" || rc=$?; done
exit "$rc"
`;
}

/** Quotes a RUNE-built script for `sh -c '…'` (single quotes, with ' closed and escaped). */
export function shSingleQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
