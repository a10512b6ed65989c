import { AppError } from '@digest/core';
import type { RedisConnection } from '@digest/queue';

/**
 * One sliding window in a sorted set: drops the entries older than the window, records this
 * attempt if fewer than the limit remain, else answers how many ms until the oldest one leaves.
 * Refused attempts are not recorded, so a client that keeps hammering is let in as the window
 * slides. Redis's clock, so every API process agrees.
 */
const SLIDING_WINDOW = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`;

export interface SlidingWindow {
  /** Records an attempt for `key`; 0 when allowed, else the seconds until one would be. */
  take(key: string): Promise<number>;
}

/** At most `limit` attempts per key in any `windowMs`, counted in Redis and shared by every API process. */
export function slidingWindow(
  redis: RedisConnection,
  keyPrefix: string,
  limit: number,
  windowMs: number,
): SlidingWindow {
  return {
    async take(key) {
      const unique = Math.random().toString(36).slice(2);
      const waitMs = Number(
        await redis.eval(SLIDING_WINDOW, 1, `${keyPrefix}:${key}`, windowMs, limit, unique),
      );
      return Math.ceil(waitMs / 1000);
    },
  };
}

/** A `rate_limited` AppError (429 with Retry-After) once the client used up its window. */
export function clientRateLimiter(window: SlidingWindow) {
  return async (client: string): Promise<void> => {
    const retryAfterSeconds = await window.take(client);
    if (retryAfterSeconds > 0) {
      throw new AppError(
        'rate_limited',
        'Too many requests from your address. Please try again later.',
        undefined,
        { retryAfterSeconds },
      );
    }
  };
}
