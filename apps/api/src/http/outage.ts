import { AppError } from '@digest/core';
import type { RedisConnection } from '@digest/queue';
import type { MiddlewareHandler } from 'hono';

/** What a request gets while Postgres or Redis is out of reach: 503, try again. */
export function unavailable(): AppError {
  return new AppError(
    'unavailable',
    'The service is briefly unavailable and nothing was changed. Please try again in a moment.',
  );
}

/** Connection states after Redis went away (before the first connection, commands fail or wait on their own). */
const LOST = new Set(['reconnecting', 'close', 'end']);

/**
 * A change that ends in a queued job (signup, confirm, admin actions) starts only while Redis is
 * connected, so an outage answers 503 before anything is written rather than half-way through.
 */
export function whileRedisIsUp(redis: RedisConnection): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && LOST.has(redis.status)) {
      throw unavailable();
    }
    await next();
  };
}
