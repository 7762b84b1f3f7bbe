/** Shared vocabulary of RUNE (docs/architecture.md: Plugins, Results and errors). */

export type JobStatus =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'cancelled'
  | 'skipped'
  | 'interrupted'
  | 'outcome_unknown';

/** Every job status, in lifecycle order (docs/architecture.md, Results and errors). */
export const JOB_STATUSES: readonly JobStatus[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'skipped',
  'interrupted',
  'outcome_unknown',
];

export type TransportKind = 'ssh' | 'ssm' | 'local';

/**
 * Where in the pipeline an error happened. `request` is the HTTP edge (authentication, the body,
 * limits): such errors answer a request and never appear in a Result.
 */
export type ErrorStage = 'request' | 'validate' | 'guard' | 'dispatch' | 'transport' | 'plugin' | 'report';

/** The structured error every failed Result carries. */
export interface ResultError {
  code: string;
  message: string;
  stage: ErrorStage;
  retryable: boolean;
  trace_id: string;
  details: Record<string, unknown>;
}

export interface AlertRef {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  fingerprint: string;
}

export interface Trigger {
  kind: 'alert' | 'manual' | 'cli' | 'api';
  source?: string;
  rule?: string;
  alert_fingerprint?: string;
  incident?: { provider: string; id: string; url?: string };
  actor?: string;
}

/** One run's outcome: printed by the CLI, returned by the API, stored, reported. */
export interface Result {
  job_id: string;
  trace_id: string;
  action: string;
  action_version: string | null;
  node: string;
  transport: TransportKind | null;
  dry_run: boolean;
  status: JobStatus;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  exit_code: number | null;
  summary: string;
  data: Record<string, unknown>;
  error: ResultError | null;
  stdout_tail: string;
  stderr_tail: string;
  truncated: boolean;
  trigger: Trigger;
}

/** Exactly what a plugin receives on stdin (contract rune.plugin/v1). */
export interface PluginPayload {
  contract: 'rune.plugin/v1';
  action: string;
  version: string;
  job_id: string;
  trace_id: string;
  node: string;
  dry_run: boolean;
  params: Record<string, unknown>;
  alert: AlertRef | null;
}

/** What a plugin prints on stdout. */
export interface PluginOutput {
  status: 'ok' | 'error' | 'skipped';
  summary: string;
  data: Record<string, unknown>;
  error?: { code: string; message: string };
}

/** Where an alert came from. */
export type AlertSource = 'alertmanager' | 'pagerduty';

/** A reference to an incident in an outside system (PagerDuty). */
export interface IncidentRef {
  provider: 'pagerduty';
  id: string;
  url?: string;
}

/**
 * One alert, normalized from any source (docs/architecture.md, Data flow). Source adapters build these; the
 * rule engine matches on `labels`; the payload's `alert` field is the AlertRef subset.
 */
export interface Alert {
  source: AlertSource;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** RFC 3339 as sent; with fingerprint it identifies one firing episode (docs/protocols.md §1.4). */
  startsAt: string;
  /** null while firing (Alertmanager sends the zero time 0001-01-01T00:00:00Z then). */
  endsAt: string | null;
  fingerprint: string;
  generatorURL?: string;
  /** Alertmanager's notification group; sha256(groupKey) is the PagerDuty incident_key (§1.5). */
  groupKey?: string;
  /** The incident this alert belongs to, when known (PagerDuty webhooks). */
  incident?: IncidentRef;
}

/** What the rule engine produces: one step of one rule, rendered for one alert. Pure data. */
export interface Invocation {
  rule: string;
  /** 0-based index of the step in the rule's `steps`. */
  step: number;
  action: string;
  /** Rendered node name (still to be resolved in the inventory by the orchestrator). */
  node: string;
  /** Rendered params (still to be validated against the plugin's schema by the orchestrator). */
  params: Record<string, unknown>;
  continueOnError: boolean;
  /** Notifier names from the rule's `notify:` (keys of rules.yaml `notify:`). */
  notify: string[];
  alert: Alert;
}

/** As rules.yaml writes them: `max_concurrency: 10` (a YAML integer) or `"25%"`. */
export interface SsmRateControlsSpec {
  max_concurrency?: string | number;
  max_errors?: string | number;
}

/** What somebody asked for: from the CLI, the API or a rule. */
export interface RunRequest {
  action: string;
  /** The node as RUNE keys it: its inventory name (docs/safety.md, Node identity). */
  node: string;
  /** The node as asked (a label, an API body), when that spelling differs from `node`. */
  askedNode?: string;
  params: Record<string, unknown>;
  /** RUNE's own dry run: plan only, no node contacted. */
  dryRun: boolean;
  /** The plugin's dry run: run it on the node with `dry_run: true`. */
  pluginDryRun: boolean;
  timeoutMs?: number;
  transport?: TransportKind;
  /** SSM MaxConcurrency / MaxErrors from the command line; they win over the rule's and defaults. */
  ssm?: SsmRateControlsSpec;
  trigger: Trigger;
  alert: AlertRef | null;
  jobId: string;
  traceId: string;
}

/** One attempt to post one Result to one place; stored with the job. */
export interface Delivery {
  reporter: string;
  ok: boolean;
  /** Last HTTP status; null when nothing answered (or nothing was sent). */
  status: number | null;
  /** Requests that delivered (POSTs of the note, retries included); look-ups before them are not counted. */
  attempts: number;
  /** Where it went, without secrets: an incident id, an origin. */
  target: string | null;
  error: string | null;
  /** ISO 8601, when the delivery finished. */
  at: string;
}
