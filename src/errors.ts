import type { ErrorStage, ResultError } from './types';

/**
 * The error catalogue: every failure RUNE reports carries one of these codes.
 * `exit` is the CLI exit code class (docs/architecture.md, CLI); docs/errors.md lists them all.
 */
export const ERROR_CATALOGUE = {
  USAGE: { stage: 'validate', retryable: false, exit: 2, text: 'the command line is wrong' },
  CONFIG_INVALID: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    text: 'rules.yaml (or another configuration file) is invalid',
  },
  UNKNOWN_ACTION: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    text: 'no plugin of that name in the plugins folder',
  },
  INVALID_PARAMS: { stage: 'validate', retryable: false, exit: 2, text: "params do not match the plugin's schema" },
  UNKNOWN_NODE: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    text: 'the node is not in the inventory (nodes: in rules.yaml)',
  },
  TRANSPORT_UNAVAILABLE: {
    stage: 'dispatch',
    retryable: false,
    exit: 2,
    text: 'the chosen transport cannot be used here',
  },
  SSH_NO_CREDENTIALS: {
    stage: 'dispatch',
    retryable: false,
    exit: 2,
    text: 'neither RUNE_SSH_KEY nor an ssh-agent (SSH_AUTH_SOCK) is available',
  },
  SSM_NO_REGION: {
    stage: 'dispatch',
    retryable: false,
    exit: 2,
    text: "no AWS region for SSM (AWS_REGION or the profile's region)",
  },
  SSM_NO_CREDENTIALS: {
    stage: 'dispatch',
    retryable: false,
    exit: 2,
    text: "the AWS SDK's default chain found no credentials for SSM",
  },
  SSM_INVALID_INSTANCE: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    text: 'no valid SSM instance id for the node (missing, malformed, or a template with nothing to render it from)',
  },
  SSM_COMMAND_TOO_LARGE: {
    stage: 'dispatch',
    retryable: false,
    exit: 2,
    text: "the plugin and its input do not fit in SSM's 64 KB command",
  },
  SSM_ACCESS_DENIED: {
    stage: 'transport',
    retryable: false,
    exit: 3,
    text: 'AWS refused the SSM call (IAM permissions, or invalid credentials)',
  },
  SSM_INSTANCE_UNAVAILABLE: {
    stage: 'transport',
    retryable: false,
    exit: 3,
    text: 'SSM does not manage that instance (not registered, agent stopped, terminated, or another account/region)',
  },
  SSM_UNDELIVERABLE: {
    stage: 'transport',
    retryable: true,
    exit: 3,
    text: 'SSM could not deliver the command to the instance (Undeliverable)',
  },
  SSM_DELIVERY_TIMEOUT: {
    stage: 'transport',
    retryable: true,
    exit: 3,
    text: 'the instance did not pick up the command within its delivery window (Delivery Timed Out)',
  },
  SSM_API_ERROR: {
    stage: 'transport',
    retryable: true,
    exit: 3,
    text: "the SSM API failed or was unreachable (after the SDK's retries)",
  },
  HOST_KEY_UNKNOWN: {
    stage: 'transport',
    retryable: false,
    exit: 3,
    text: "the node's host key is not in known_hosts",
  },
  HOST_KEY_MISMATCH: {
    stage: 'transport',
    retryable: false,
    exit: 3,
    text: "the node's host key differs from known_hosts",
  },
  SSH_AUTH_FAILED: { stage: 'transport', retryable: false, exit: 3, text: 'the node refused our credentials' },
  CONNECT_REFUSED: { stage: 'transport', retryable: true, exit: 3, text: 'nothing listens on the SSH port' },
  SERVER_UNREACHABLE: {
    stage: 'transport',
    retryable: true,
    exit: 3,
    text: 'the CLI cannot reach the running `rune serve` it was pointed at (--server, RUNE_PUBLIC_URL)',
  },
  CONNECT_TIMEOUT: {
    stage: 'transport',
    retryable: true,
    exit: 3,
    text: 'no answer from the node within the connect timeout',
  },
  NODE_UNREACHABLE: { stage: 'transport', retryable: true, exit: 3, text: 'the address cannot be resolved or routed' },
  CONNECTION_LOST: {
    stage: 'transport',
    retryable: true,
    exit: 3,
    text: 'the connection dropped while the plugin ran',
  },
  REMOTE_SETUP_FAILED: {
    stage: 'transport',
    retryable: false,
    exit: 1,
    text: 'the node could not stage the plugin (mktemp/base64/sh missing or disk full)',
  },
  BECOME_FAILED: {
    stage: 'transport',
    retryable: false,
    exit: 1,
    text: 'sudo -n refused to run the plugin (become: true)',
  },
  RUN_TIMEOUT: { stage: 'plugin', retryable: true, exit: 4, text: 'the plugin ran past its timeout and was killed' },
  RUN_CANCELLED: {
    stage: 'transport',
    retryable: true,
    exit: 1,
    text: 'the run was stopped before it finished: by RUNE (a resolve with cancel_running_on_resolve) or, over SSM, by CancelCommand from elsewhere or Terminated after MaxErrors',
  },
  PLUGIN_NOT_RUNNABLE: {
    stage: 'plugin',
    retryable: false,
    exit: 1,
    text: "the plugin's interpreter is missing on the node (exit 126/127)",
  },
  PLUGIN_FAILED: { stage: 'plugin', retryable: false, exit: 1, text: 'the plugin reported failure' },
  PLUGIN_BAD_OUTPUT: {
    stage: 'plugin',
    retryable: false,
    exit: 1,
    text: 'stdout was not exactly one JSON object of the contract',
  },
  INTERNAL: { stage: 'dispatch', retryable: false, exit: 1, text: 'a fault inside RUNE itself' },
} as const satisfies Record<string, { stage: ErrorStage; retryable: boolean; exit: number; text: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** RUNE's own error: a catalogue code, the stage it belongs to, and details for the Result. */
export class RuneError extends Error {
  readonly code: ErrorCode;
  readonly stage: ErrorStage;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuneError';
    this.code = code;
    this.stage = ERROR_CATALOGUE[code].stage;
    this.retryable = ERROR_CATALOGUE[code].retryable;
    this.details = details;
  }
}

export function isRuneError(err: unknown): err is RuneError {
  return err instanceof RuneError;
}

/** The Result-shaped rendering of a RuneError (docs/architecture.md, Results and errors). */
export function toResultError(err: RuneError, traceId: string): ResultError {
  return {
    code: err.code,
    message: err.message,
    stage: err.stage,
    retryable: err.retryable,
    trace_id: traceId,
    details: err.details,
  };
}
