import { BACKSTOP_MARGIN_MS, KILL_GRACE_MS } from './transport';
import { isSsmInstanceId } from './ssm-instance-id';
import { buildWrapperScript, WRAPPER_SETUP_EXIT } from './wrapper-script';

/** SendCommand refuses documents over 64 KB (MaxDocumentSizeExceeded, docs/protocols.md §4.1). */
export const SSM_MAX_DOCUMENT_BYTES = 64 * 1024;
/**
 * ⚠ Which bytes SSM counts is not documented: RUNE measures the JSON of `Parameters` and keeps
 * this much room for the rest of the AWS-RunShellScript document (its own text is ~1 KB).
 */
export const SSM_DOCUMENT_HEADROOM_BYTES = 4 * 1024;
/** The AWS-RunShellScript document (docs/protocols.md §4.2). */
export const SSM_DOCUMENT = 'AWS-RunShellScript';
/** executionTimeout's maximum: 48 hours (§4.2). */
export const SSM_MAX_EXECUTION_TIMEOUT_S = 172_800;
/** TimeoutSeconds (the delivery window) is 30–2592000 (§4.1). */
export const SSM_MIN_DELIVERY_TIMEOUT_S = 30;

/** One node's share of a command: its instance id and its JSON payload (what SSH puts on stdin). */
export interface SsmInput {
  instanceId: string;
  payload: string;
}

/**
 * `executionTimeout`: the agent's own kill, a backstop behind the wrapper's `timeout -k`, which
 * ends the plugin first (as RUNE's backstop does over SSH).
 */
export function executionTimeoutSeconds(timeoutMs: number): number {
  return Math.min(
    SSM_MAX_EXECUTION_TIMEOUT_S,
    Math.max(1, Math.ceil((timeoutMs + KILL_GRACE_MS + BACKSTOP_MARGIN_MS) / 1000)),
  );
}

/**
 * `TimeoutSeconds`, the delivery window (§4.7): a node that cannot start the plugin within as long
 * as the plugin may run gives up (its alert is stale by then), but never under SSM's minimum of 30 s.
 */
export function deliveryTimeoutSeconds(timeoutMs: number): number {
  return Math.max(SSM_MIN_DELIVERY_TIMEOUT_S, executionTimeoutSeconds(timeoutMs));
}

/** The `case` arm that gives one instance its payload. Its length is what the instance adds to the command. */
export function inputLine(input: SsmInput): string {
  // Only an id SSM's pattern accepts ([A-Za-z0-9_-]) and base64 ([A-Za-z0-9+/=]) reach the shell.
  if (!isSsmInstanceId(input.instanceId))
    throw new Error(`not an SSM instance id: ${JSON.stringify(input.instanceId)}`);
  return `${input.instanceId}) p='${Buffer.from(input.payload, 'utf8').toString('base64')}' ;;`;
}

/**
 * The node-side script of one SendCommand, one line per `commands` item (SSM joins them with
 * newlines into one sh script). SSM has no stdin (docs/protocols.md §4.2), so each node picks its own
 * base64 payload by `$AWS_SSM_INSTANCE_ID`, which the SSM Agent sets for aws:runShellScript ⚠
 * (AWS docs, Run Command environment variables), decodes it into a private temp file and feeds it
 * to the same wrapper SSH uses (wrapper-script.ts: private staging, `timeout`, `sudo -n`).
 * Nothing from an alert or a param is ever text here: only ids, base64 and RUNE's fixed lines.
 */
export function buildSsmCommands(opts: {
  pluginName: string;
  script: Buffer;
  timeoutMs: number;
  become: boolean;
  inputs: SsmInput[];
}): string[] {
  const wrapper = buildWrapperScript({
    script: opts.script,
    timeoutMs: opts.timeoutMs,
    become: opts.become,
    killGraceMs: KILL_GRACE_MS,
  });
  const fail = (what: string) => `echo "rune: ${what}" >&2; exit ${WRAPPER_SETUP_EXIT}`;
  const noInput =
    'no input for instance ${AWS_SSM_INSTANCE_ID:-(AWS_SSM_INSTANCE_ID unset: SSM Agent too old?)} in this command';
  return [
    `# rune: ${/^[a-z0-9-]+$/.test(opts.pluginName) ? opts.pluginName : 'plugin'}; each instance reads its own input`,
    'set -u',
    'umask 077',
    // The outer shell turns signals into exits so that its EXIT trap removes the input file.
    "trap 'exit 129' HUP",
    "trap 'exit 130' INT",
    "trap 'exit 143' TERM",
    'case "${AWS_SSM_INSTANCE_ID:-}" in',
    ...opts.inputs.map(inputLine),
    `*) ${fail(noInput)} ;;`,
    'esac',
    `in=$(mktemp "\${TMPDIR:-/tmp}/rune-input.XXXXXXXXXX") || { ${fail('mktemp failed on this node')}; }`,
    `trap 'rm -f "$in"' EXIT`,
    `printf '%s' "$p" | base64 -d > "$in" || { ${fail('cannot decode the input (base64 missing or disk full?)')}; }`,
    '(',
    ...wrapper.replace(/\n$/, '').split('\n'),
    ') < "$in"',
  ];
}

/** The `Parameters` of SendCommand for AWS-RunShellScript: every value is a list of strings (§4.1). */
export function ssmParameters(commands: string[], timeoutMs: number): Record<string, string[]> {
  return { commands, executionTimeout: [String(executionTimeoutSeconds(timeoutMs))] };
}

/** Bytes RUNE counts against SSM_MAX_DOCUMENT_BYTES for these parameters. */
export function parametersBytes(parameters: Record<string, string[]>): number {
  return Buffer.byteLength(JSON.stringify(parameters), 'utf8');
}
