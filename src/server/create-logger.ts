import pino from 'pino';
import type { Logger } from './create-app';

/**
 * pino JSON lines on stderr. Secrets are redacted by configuration, not by hope (CONVENTIONS.md):
 * any field that can carry a credential is censored wherever it appears.
 */
export function createLogger(destination: NodeJS.WritableStream = process.stderr, level = 'info'): Logger {
  const log = pino(
    {
      level,
      base: { service: 'rune' },
      redact: {
        paths: ['authorization', '*.authorization', 'headers.authorization', 'token', '*.token', 'secret', '*.secret', 'secrets', '*.secrets', 'password', '*.password'],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream,
  );
  return {
    info: (obj, msg) => log.info(obj, msg),
    warn: (obj, msg) => log.warn(obj, msg),
    error: (obj, msg) => log.error(obj, msg),
  };
}
