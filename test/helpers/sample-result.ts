import type { Result } from '../../src/core/types';

/** A succeeded restart-docker run, as docs/architecture.md shows it; override any field. */
export function sampleResult(over: Partial<Result> = {}): Result {
  return {
    job_id: 'job-0001',
    trace_id: 'trace-abc',
    action: 'restart-docker',
    action_version: '1.0.0',
    node: 'web-1',
    transport: 'ssh',
    dry_run: false,
    status: 'succeeded',
    started_at: '2026-11-23T23:11:20.000Z',
    finished_at: '2026-11-23T23:11:32.300Z',
    duration_ms: 12_300,
    exit_code: 0,
    summary: 'docker restarted; 14 containers running',
    data: {},
    error: null,
    stdout_tail: '',
    stderr_tail: '',
    truncated: false,
    trigger: { kind: 'alert', source: 'alertmanager', rule: 'docker-daemon-down' },
    ...over,
  };
}

/** A failed run with a plugin error. */
export function failedResult(over: Partial<Result> = {}): Result {
  return sampleResult({
    status: 'failed',
    exit_code: 1,
    summary: 'docker did not come back',
    error: {
      code: 'PLUGIN_FAILED',
      message: 'docker info failed after 60s',
      stage: 'plugin',
      retryable: false,
      trace_id: 'trace-abc',
      details: {},
    },
    ...over,
  });
}
