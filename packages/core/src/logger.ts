import { isatty } from 'node:tty';
import { pino } from 'pino';
import pretty from 'pino-pretty';

export type Logger = pino.Logger;

export interface LoggerOptions {
  level?: string;
  /** Services log on stdout; a command whose stdout is its output logs on stderr. */
  stream?: 'stdout' | 'stderr';
  /** Readable lines for a developer's terminal; otherwise JSON lines, what log shippers expect. */
  pretty?: boolean;
}

export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  const fd = options.stream === 'stderr' ? 2 : 1;
  const settings = { name, level: options.level ?? 'info', base: { service: name } };
  if (options.pretty) {
    return pino(
      settings,
      pretty({ destination: fd, sync: true, colorize: isatty(fd), ignore: 'pid,hostname,service' }),
    );
  }
  return pino(settings, pino.destination(fd));
}
