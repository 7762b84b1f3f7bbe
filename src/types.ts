/** Shared vocabulary of RUNE (DESIGN.md: Plugins, Results and errors). */

export type JobStatus =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'cancelled'
  | 'skipped'
  | 'interrupted';

export type TransportKind = 'ssh' | 'ssm' | 'local';

export type ErrorStage = 'validate' | 'guard' | 'dispatch' | 'transport' | 'plugin' | 'report';

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
