import type { Logger } from '../../src/core/logger';

/** The logger of every test that does not look at the log: says nothing. */
export const quietLog: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  obj: object;
  msg: string;
}

/** A logger that keeps every line, for tests that check what was logged. */
export function recordingLog(): Logger & { lines: LogLine[]; messages(level: LogLine['level']): string[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: object, msg: string) => void lines.push({ level, obj, msg });
  return {
    lines,
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    messages: (level) => lines.filter((l) => l.level === level).map((l) => l.msg),
  };
}
