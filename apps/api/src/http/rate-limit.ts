import { AppError } from '@digest/core';
import { groupCommit, type RedisConnection } from '@digest/queue';

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

/** Takes per pipeline: one round trip, bounded. */
const TAKES_PER_ROUND_TRIP = 500;

/**
 * At most `limit` attempts per key in any `windowMs`, counted in Redis and shared by every API
 * process. The takes of concurrent requests share a pipeline (group commit): one round trip for
 * every take that arrived while the previous one was in flight.
 */
export function slidingWindow(
  redis: RedisConnection,
  keyPrefix: string,
  limit: number,
  windowMs: number,
): SlidingWindow {
  const take = groupCommit(async (keys: string[]) => {
    const pipeline = redis.pipeline();
    for (const key of keys) {
      const unique = Math.random().toString(36).slice(2);
      pipeline.eval(SLIDING_WINDOW, 1, `${keyPrefix}:${key}`, windowMs, limit, unique);
    }
    return ((await pipeline.exec()) ?? []).map(([error, waitMs]) => {
      if (error) throw error;
      return Math.ceil(Number(waitMs) / 1000);
    });
  }, TAKES_PER_ROUND_TRIP);
  return { take };
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
