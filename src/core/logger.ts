/** The logging RUNE needs: pino in `rune serve` (server/create-logger.ts), anything with these three in tests. */
export interface Logger {
  info: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
  error: (obj: object, msg: string) => void;
}
