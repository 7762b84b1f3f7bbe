/** The logging RUNE needs: pino in `rune serve` (server/create-logger.ts), anything with these three in tests. */
export interface Logger {
  info: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
  error: (obj: object, msg: string) => void;
}

/** A logger that also blanks known secret values wherever they would appear in a line. */
export interface RedactingLogger extends Logger {
  /** Adds secret values (tokens, webhook URLs, HMAC secrets) that are never written, in any field or message. */
  redactValues(values: readonly string[]): void;
}

/** Whether `log` can blank secret values (createLogger's can; a test's quiet logger cannot). */
export function redactsValues(log: Logger): log is RedactingLogger {
  return typeof (log as Partial<RedactingLogger>).redactValues === 'function';
}
