import type { ErrorStage, ResultError } from './types';

interface CatalogueEntry {
  stage: ErrorStage;
  retryable: boolean;
  /** The CLI's exit code class (docs/architecture.md, CLI). */
  exit: 0 | 1 | 2 | 3 | 4;
  /** The HTTP status when the error answers a request (the error handler is the only place that uses it). */
  http: number;
  /** One line for docs/errors.md, which is generated from this table (npm run docs:errors). */
  text: string;
}

/**
 * The one error catalogue: every failure RUNE reports, in a Result, an exit code or an HTTP answer,
 * carries one of these codes. docs/errors.md is generated from it and a test keeps the two equal.
 */
export const ERROR_CATALOGUE = {
  USAGE: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    http: 400,
    text: 'the command line is wrong',
  },
  CONFIG_INVALID: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    http: 400,
    text: 'rules.yaml (or another configuration file) is invalid',
  },
  UNKNOWN_ACTION: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    http: 400,
    text: 'no plugin of that name in the plugins folder',
  },
  PLUGIN_BROKEN: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    http: 400,
    text: 'a plugin of that name exists but cannot be loaded (bad or missing metadata, wrong name, invalid params schema); `rune actions` and `rune rules check` say why, with file and line',
  },
  INVALID_PARAMS: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    http: 400,
    text: "params do not match the plugin's schema",
  },
  UNKNOWN_NODE: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    http: 400,
    text: 'the node is not in the inventory (nodes: in rules.yaml)',
  },
  TRANSPORT_UNAVAILABLE: {
    stage: 'dispatch',
    retryable: false,
    exit: 2,
    http: 502,
    text: 'the chosen transport cannot be used here',
  },
  SSH_NO_CREDENTIALS: {
    stage: 'dispatch',
    retryable: false,
    exit: 2,
    http: 502,
    text: 'neither RUNE_SSH_KEY nor an ssh-agent (SSH_AUTH_SOCK) is available',
  },
  SSM_NO_REGION: {
    stage: 'dispatch',
    retryable: false,
    exit: 2,
    http: 502,
    text: 'no AWS region for SSM: set `AWS_REGION` or a region in the AWS profile',
  },
  SSM_NO_CREDENTIALS: {
    stage: 'dispatch',
    retryable: false,
    exit: 2,
    http: 502,
    text: "the AWS SDK's default chain found no credentials (env, profile, SSO, web identity, container or instance role)",
  },
  SSM_INVALID_INSTANCE: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    http: 400,
    text: 'no valid SSM instance id for the node: none given, not `i-…`/`mi-…`, or an `instance_id` template with no alert (or an empty label) to render it',
  },
  SSM_COMMAND_TOO_LARGE: {
    stage: 'dispatch',
    retryable: false,
    exit: 2,
    http: 502,
    text: 'the plugin and its input do not fit in one SSM command (64 KB); nothing was sent for that node',
  },
  SSM_ACCESS_DENIED: {
    stage: 'transport',
    retryable: false,
    exit: 3,
    http: 502,
    text: 'AWS refused an SSM call (IAM permissions, invalid or expired credentials); see `docs/transports.md` for the permissions',
  },
  SSM_INSTANCE_UNAVAILABLE: {
    stage: 'transport',
    retryable: false,
    exit: 3,
    http: 502,
    text: 'SSM refused the instance (`InvalidInstanceId`): not a managed node this account and region reach, agent stopped, or terminated',
  },
  SSM_UNDELIVERABLE: {
    stage: 'transport',
    retryable: true,
    exit: 3,
    http: 502,
    text: 'SSM could not deliver the command to the instance (`Undeliverable`)',
  },
  SSM_DELIVERY_TIMEOUT: {
    stage: 'transport',
    retryable: true,
    exit: 3,
    http: 502,
    text: 'the instance did not pick up the command within its delivery window (`Delivery Timed Out`): agent offline?',
  },
  SSM_API_ERROR: {
    stage: 'transport',
    retryable: true,
    exit: 3,
    http: 502,
    text: "the SSM API failed, stayed throttled after the SDK's retries, was unreachable, or never showed the invocation",
  },
  HOST_KEY_UNKNOWN: {
    stage: 'transport',
    retryable: false,
    exit: 3,
    http: 502,
    text: "the node's host key is not in known_hosts",
  },
  HOST_KEY_MISMATCH: {
    stage: 'transport',
    retryable: false,
    exit: 3,
    http: 502,
    text: "the node's host key differs from known_hosts",
  },
  SSH_AUTH_FAILED: {
    stage: 'transport',
    retryable: false,
    exit: 3,
    http: 502,
    text: 'the node refused our credentials',
  },
  CONNECT_REFUSED: {
    stage: 'transport',
    retryable: true,
    exit: 3,
    http: 502,
    text: 'nothing listens on the SSH port',
  },
  SERVER_UNREACHABLE: {
    stage: 'transport',
    retryable: true,
    exit: 3,
    http: 502,
    text: '`rune pause`, `resume`, `breaker close`, `guards` and `rune jobs …` cannot reach the running `rune serve` at `--server` (or `RUNE_PUBLIC_URL`, default `http://127.0.0.1:9095`): is it running, is the URL right?',
  },
  CONNECT_TIMEOUT: {
    stage: 'transport',
    retryable: true,
    exit: 3,
    http: 502,
    text: 'no answer from the node within the connect timeout',
  },
  NODE_UNREACHABLE: {
    stage: 'transport',
    retryable: true,
    exit: 3,
    http: 502,
    text: 'the address cannot be resolved or routed',
  },
  CONNECTION_LOST: {
    stage: 'transport',
    retryable: true,
    exit: 3,
    http: 502,
    text: 'the connection dropped while the plugin ran',
  },
  REMOTE_SETUP_FAILED: {
    stage: 'transport',
    retryable: false,
    exit: 1,
    http: 502,
    text: 'the node could not stage the plugin (mktemp/base64/sh missing or disk full)',
  },
  BECOME_FAILED: {
    stage: 'transport',
    retryable: false,
    exit: 1,
    http: 502,
    text: 'sudo -n refused to run the plugin (become: true)',
  },
  RUN_TIMEOUT: {
    stage: 'plugin',
    retryable: true,
    exit: 4,
    http: 502,
    text: "the plugin ran past its timeout and was killed (over SSM also: the agent's `Execution Timed Out`, or no result by RUNE's own deadline, after which RUNE sends `CancelCommand`)",
  },
  RUN_CANCELLED: {
    stage: 'transport',
    retryable: true,
    exit: 1,
    http: 502,
    text: "the run was stopped before it finished: by RUNE (the alert resolved and the rule has `cancel_running_on_resolve`; the summary gives the reason), or over SSM by a `CancelCommand` RUNE did not send or `Terminated` because the command passed its `MaxErrors`; the Result's status is `cancelled`",
  },
  PLUGIN_NOT_RUNNABLE: {
    stage: 'plugin',
    retryable: false,
    exit: 1,
    http: 502,
    text: "the plugin's interpreter is missing on the node (exit 126/127)",
  },
  PLUGIN_FAILED: {
    stage: 'plugin',
    retryable: false,
    exit: 1,
    http: 502,
    text: 'the plugin reported failure',
  },
  PLUGIN_BAD_OUTPUT: {
    stage: 'plugin',
    retryable: false,
    exit: 1,
    http: 502,
    text: 'stdout was not exactly one JSON object of the contract',
  },
  INTERNAL: {
    stage: 'dispatch',
    retryable: false,
    exit: 1,
    http: 500,
    text: 'a fault inside RUNE itself',
  },
  BAD_REQUEST: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 400,
    text: 'the request is malformed: a field of the wrong type, an unknown field or query parameter, a query parameter given twice, a value outside its documented range',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 415,
    text: '`Content-Type` is not `application/json`',
  },
  EMPTY_BODY: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 400,
    text: 'the request has no body where one is needed',
  },
  INVALID_UTF8: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 400,
    text: 'the body is not valid UTF-8',
  },
  INVALID_JSON: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 400,
    text: 'the body is not one JSON document, or nests arrays and objects more than 64 levels deep',
  },
  INVALID_PAYLOAD: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 400,
    text: 'JSON, but not an Alertmanager v4, PagerDuty v3 or Custom Incident Action payload; `details.problems` lists each problem with its JSON path',
  },
  BODY_TOO_LARGE: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 413,
    text: 'the body is over the limit (2 MiB)',
  },
  UNAUTHENTICATED: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 401,
    text: 'no token, or one RUNE does not know (webhook token, or an API token from `RUNE_API_TOKENS_FILE`)',
  },
  BAD_SIGNATURE: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 401,
    text: 'a PagerDuty delivery whose `X-PagerDuty-Signature` matches none of `RUNE_PAGERDUTY_SECRETS`',
  },
  FORBIDDEN: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 403,
    text: "the token's role is too low, or an operator's `actions=`/`nodes=` do not cover the action or node (`docs/security.md`)",
  },
  TOO_MANY_FAILURES: {
    stage: 'request',
    retryable: true,
    exit: 2,
    http: 429,
    text: 'too many failed authentications from this address this minute (`Retry-After` says when to try again)',
  },
  NOT_FOUND: {
    stage: 'request',
    retryable: false,
    exit: 2,
    http: 404,
    text: 'no such endpoint, job or rule',
  },
  JOB_FINISHED: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    http: 409,
    text: 'cancel of a job that already ended',
  },
  JOB_RUNNING: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    http: 409,
    text: 'cancel of a running job that changes the node without `force`, or of a job this RUNE process is not running',
  },
  PAUSED: {
    stage: 'guard',
    retryable: false,
    exit: 2,
    http: 409,
    text: 'a manual run or incident action while automatic runs are paused (`while_paused: true` runs it anyway)',
  },
  INCIDENT_UNMATCHED: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    http: 422,
    text: 'incident action: no host labels, no node, or no matching rule for the incident',
  },
  PAGERDUTY_UNAVAILABLE: {
    stage: 'transport',
    retryable: true,
    exit: 3,
    http: 502,
    text: "incident action: PagerDuty did not give the incident's alerts in time",
  },
  SHUTTING_DOWN: {
    stage: 'dispatch',
    retryable: true,
    exit: 3,
    http: 503,
    text: 'the service is stopping (SIGTERM): senders retry later',
  },
  STORE_UNAVAILABLE: {
    stage: 'dispatch',
    retryable: true,
    exit: 3,
    http: 503,
    text: 'the database cannot be written (disk full, read-only, locked): nothing was stored, senders retry later',
  },
} as const satisfies Record<string, CatalogueEntry>;

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
