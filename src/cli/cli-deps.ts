import type { Logger } from '../core/logger';
import type { TransportKind } from '../core/types';
import type { Settings } from '../settings/read-settings';
import type { Transport } from '../transports/transport';

/** What tests may replace in a CLI run (main's third argument); the real thing otherwise. */
export interface CliDeps {
  /** Builds the transports for a run (and for `rune serve`); tests may wrap the real ones. */
  createTransports?: (s: Settings) => Partial<Record<TransportKind, Transport>>;
  createLogger?: () => Logger;
  /** For the commands that talk to a running server (pause, resume, breaker, guards, jobs). */
  fetch?: typeof fetch;
}
