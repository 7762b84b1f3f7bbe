import type { ErrorStage } from './types';

/** One code of the error catalogue (src/core/errors.ts). */
export interface CatalogueEntry {
  stage: ErrorStage;
  retryable: boolean;
  /** The CLI's exit code class (docs/architecture.md, CLI). */
  exit: 0 | 1 | 2 | 3 | 4;
  /** The HTTP status when the error answers a request (the error handler is the only place that uses it). */
  http: number;
  /** One line for docs/errors.md, which is generated from this table (npm run docs:errors). */
  text: string;
}
