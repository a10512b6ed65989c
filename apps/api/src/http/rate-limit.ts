import { AppError } from '@digest/core';
import type { RedisConnection } from '@digest/queue';

/**
 * Fixed one-minute windows counted in Redis, so every API process shares the same budget per
 * client. Throws a `rate_limited` AppError once `limit` is used up.
 */
export function minuteRateLimiter(redis: RedisConnection, keyPrefix: string, limit: number) {
  return async (client: string): Promise<void> => {
    const window = Math.floor(Date.now() / 60_000);
    const key = `${keyPrefix}:${client}:${window}`;
    const [[, count] = []] = (await redis.multi().incr(key).expire(key, 120).exec()) ?? [];
    if (Number(count) > limit) {
      throw new AppError(
        'rate_limited',
        'Too many requests from your address. Please try again in a minute.',
      );
    }
  };
}
