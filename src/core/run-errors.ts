import type { CatalogueEntry } from './error-entry';

/**
 * The codes a run can end with (stages validate to plugin), in Results and CLI exit codes: part of
 * the one catalogue, ERROR_CATALOGUE in errors.ts.
 */
export const RUN_ERRORS = {
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
    text:
      'a plugin of that name exists but cannot be loaded (bad or missing metadata, wrong name, ' +
      'invalid params schema); `rune actions` and `rune rules check` say why, with file and line',
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
    text:
      "the AWS SDK's default chain found no credentials " +
      '(env, profile, SSO, web identity, container or instance role)',
  },
  SSM_INVALID_INSTANCE: {
    stage: 'validate',
    retryable: false,
    exit: 2,
    http: 400,
    text:
      'no valid SSM instance id for the node: none given, not `i-…`/`mi-…`, ' +
      'or an `instance_id` template with no alert (or an empty label) to render it',
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
    text:
      'AWS refused an SSM call (IAM permissions, invalid or expired credentials); ' +
      'see `docs/transports.md` for the permissions',
  },
  SSM_INSTANCE_UNAVAILABLE: {
    stage: 'transport',
    retryable: false,
    exit: 3,
    http: 502,
    text:
      'SSM refused the instance (`InvalidInstanceId`): not a managed node this account and region reach, ' +
      'agent stopped, or terminated',
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
    text:
      "the SSM API failed, stayed throttled after the SDK's retries, was unreachable, " +
      'or never showed the invocation',
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
    text:
      "the plugin ran past its timeout and was killed (over SSM also: the agent's `Execution Timed Out`, " +
      "or no result by RUNE's own deadline, after which RUNE sends `CancelCommand`)",
  },
  RUN_CANCELLED: {
    stage: 'transport',
    retryable: true,
    exit: 1,
    http: 502,
    text:
      'the run was stopped before it finished: by RUNE (the alert resolved and the rule has ' +
      '`cancel_running_on_resolve`; the summary gives the reason), or over SSM by a `CancelCommand` RUNE ' +
      "did not send or `Terminated` because the command passed its `MaxErrors`; the Result's status is `cancelled`",
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
} as const satisfies Record<string, CatalogueEntry>;
