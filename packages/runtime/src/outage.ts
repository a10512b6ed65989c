export type Dependency = 'postgres' | 'redis';

// ioredis, with the producer options: no offline queue, no retries, a command timeout; or a cluster without nodes.
const REDIS_AWAY =
  /Stream isn't writeable|Connection is closed|Command timed out|max retries per request|Failed to refresh slots cache|None of startup nodes is available/i;
// pg and its pool: the server cannot be reached, went away or is shutting down.
const POSTGRES_AWAY = /timeout exceeded when trying to connect|Connection terminated|Query read timeout/i;
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);

/**
 * The dependency an error says is out of reach, if it says so: the API answers those with 503
 * (try again) rather than 500 (our bug). Only the API's fail-fast connections produce the Redis
 * messages; network error codes reach a request only from pg (ioredis reports them as events).
 */
export function unreachableDependency(error: unknown): Dependency | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 3; depth++) {
    const { message } = current;
    const code = (current as { code?: unknown }).code;
    if (REDIS_AWAY.test(message)) return 'redis';
    if (POSTGRES_AWAY.test(message)) return 'postgres';
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || /^(08|57P0)/.test(code))) return 'postgres';
    current = current.cause;
  }
  return undefined;
}
