import { randomBytes } from 'node:crypto';
import { redisKeyPrefix } from '@digest/queue';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from './env.ts';

/**
 * A queue prefix of the test's own; `cleanup` deletes every key under it, as given and as
 * QUEUE_PREFIX hash-tags it (`{prefix}:…`, see redisKeyPrefix).
 */
export function testQueuePrefix(): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `test-${randomBytes(5).toString('hex')}`;
  return {
    prefix,
    async cleanup() {
      const redis = new Redis(TEST_REDIS_URL);
      try {
        for (const pattern of [`${prefix}:*`, `${redisKeyPrefix(prefix)}:*`]) {
          let cursor = '0';
          do {
            const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
            if (keys.length > 0) await redis.del(...keys);
            cursor = next;
          } while (cursor !== '0');
        }
      } finally {
        redis.disconnect();
      }
    },
  };
}
