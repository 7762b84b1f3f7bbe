import type { ErrorStage, ResultError } from './types';
import { REQUEST_ERRORS } from './request-errors';
import { RUN_ERRORS } from './run-errors';

/**
 * The one error catalogue: every failure RUNE reports, in a Result, an exit code or an HTTP answer,
 * carries one of these codes. docs/errors.md is generated from it and a test keeps the two equal.
 */
export const ERROR_CATALOGUE = { ...RUN_ERRORS, ...REQUEST_ERRORS };

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
