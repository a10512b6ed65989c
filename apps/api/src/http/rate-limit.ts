import { AppError, groupCommit } from '@digest/core';
import type { RedisConnection } from '@digest/queue';

/**
 * Sliding windows in sorted sets, one attempt for each key given (a key may come twice): drops
 * the entries older than the window, records the attempt if fewer than the limit remain, else
 * answers how many ms until the oldest one leaves. Refused attempts are not recorded, so a
 * client that keeps hammering is let in as the window slides. Redis's clock, so every API
 * process agrees. ARGV: window ms, limit, then one unique member suffix per key.
 */
const SLIDING_WINDOWS = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local waits = {}
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) < limit then
    redis.call('ZADD', key, now, now .. ':' .. ARGV[2 + i])
    redis.call('PEXPIRE', key, window)
    waits[i] = 0
  else
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    waits[i] = math.max(1, tonumber(oldest[2]) + window - now)
  end
end
return waits
`;

export interface SlidingWindow {
  /** Records an attempt for `key`; 0 when allowed, else the seconds until one would be. */
  take(key: string): Promise<number>;
}

/** Attempts per script call: one round trip, bounded. */
const TAKES_PER_CALL = 500;

/**
 * At most `limit` attempts per key in any `windowMs`, counted in Redis and shared by every API
 * process. The attempts of concurrent requests go in one script call (group commit): one round
 * trip for all that arrived while the previous call was in flight.
 */
export function slidingWindow(
  redis: RedisConnection,
  keyPrefix: string,
  limit: number,
  windowMs: number,
): SlidingWindow {
  const take = groupCommit(async (keys: string[]) => {
    const uniques = keys.map(() => Math.random().toString(36).slice(2));
    const fullKeys = keys.map((key) => `${keyPrefix}:${key}`);
    const waits = (await redis.eval(
      SLIDING_WINDOWS,
      keys.length,
      ...fullKeys,
      windowMs,
      limit,
      ...uniques,
    )) as number[];
    return waits.map((waitMs) => Math.ceil(waitMs / 1000));
  }, TAKES_PER_CALL);
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
