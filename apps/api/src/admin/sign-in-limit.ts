import { AppError } from '@digest/core';
import type { RedisConnection } from '@digest/queue';

/**
 * Failed sign-ins per client, counted in Redis (so every API process shares the count) over a
 * fixed window. A client over the limit is refused before its token is even compared, so
 * guessing stops there, right token or not.
 */
export function signInLimiter(
  redis: RedisConnection,
  keyPrefix: string,
  maxFailures = 10,
  windowSeconds = 15 * 60,
) {
  const keyOf = (client: string) => `${keyPrefix}:${client}:${Math.floor(Date.now() / 1000 / windowSeconds)}`;
  return {
    async assertAllowed(client: string): Promise<void> {
      if (Number(await redis.get(keyOf(client))) >= maxFailures) {
        throw new AppError('rate_limited', 'Too many failed sign-ins from your address. Try again later.');
      }
    },
    async recordFailure(client: string): Promise<void> {
      const key = keyOf(client);
      await redis
        .multi()
        .incr(key)
        .expire(key, windowSeconds * 2)
        .exec();
    },
  };
}
