import pino from 'pino';
import type { RedactingLogger } from '../core/logger';

/** Values shorter than this are not blanked: they would mangle ordinary words, and no real secret is that short. */
const MIN_SECRET_LENGTH = 6;

/** `s` as it appears inside a JSON string (quotes, backslashes and control characters escaped). */
function jsonEscaped(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/**
 * pino JSON lines on stderr. Secrets are redacted by configuration, not by hope (docs/architecture.md):
 * any field that can carry a credential is censored wherever it appears, and every secret value
 * RUNE was configured with (redactValues) is replaced by [redacted] in the finished line.
 */
export function createLogger(destination: NodeJS.WritableStream = process.stderr, level = 'info'): RedactingLogger {
  const secrets = new Set<string>();
  let pattern: RegExp | null = null;
  const log = pino(
    {
      level,
      base: { service: 'rune' },
      redact: {
        paths: [
          'authorization',
          '*.authorization',
          'headers.authorization',
          'token',
          '*.token',
          'secret',
          '*.secret',
          'secrets',
          '*.secrets',
          'password',
          '*.password',
        ],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: {
        streamWrite: (line) => (pattern ? line.replace(pattern, '[redacted]') : line),
      },
    },
    destination as pino.DestinationStream,
  );
  return {
    info: (obj, msg) => log.info(obj, msg),
    warn: (obj, msg) => log.warn(obj, msg),
    error: (obj, msg) => log.error(obj, msg),
    redactValues(values) {
      for (const v of values) if (v.length >= MIN_SECRET_LENGTH) secrets.add(v);
      // Longest first, so a secret that contains another is blanked whole.
      const alternatives = [...secrets]
        .sort((a, b) => b.length - a.length)
        .flatMap((v) => [...new Set([v, jsonEscaped(v)])]);
      pattern = alternatives.length
        ? new RegExp(alternatives.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g')
        : null;
    },
  };
}
