import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * JSON lines, what log shippers and `docker compose logs` expect: on stdout for services, on
 * stderr for a command whose stdout is its output.
 */
export function createLogger(name: string, level = 'info', stream: 'stdout' | 'stderr' = 'stdout'): Logger {
  return pino({ name, level, base: { service: name } }, pino.destination(stream === 'stdout' ? 1 : 2));
}
