import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../../../test/support/env.ts';
import { testQueuePrefix } from '../../../../test/support/redis.ts';
import { slidingWindow } from './rate-limit.ts';

let redis: Redis;
let namespace: ReturnType<typeof testQueuePrefix>;

beforeEach(() => {
  redis = new Redis(TEST_REDIS_URL);
  namespace = testQueuePrefix();
});

afterEach(async () => {
  await namespace.cleanup();
  redis.disconnect();
});

describe('slidingWindow', () => {
  it('counts attempts that arrive at once (one script call) each against its own key', async () => {
    const window = slidingWindow(redis, namespace.prefix, 3, 60_000);
    const takes = await Promise.all(['a', 'a', 'b', 'a', 'a', 'b'].map((key) => window.take(key)));
    expect(takes.slice(0, 4)).toEqual([0, 0, 0, 0]);
    // The fourth attempt for "a" is refused until the first leaves the minute, and so is a fifth.
    expect(takes[4]).toBe(60);
    expect(takes[5]).toBe(0);
    expect(await window.take('a')).toBe(60);
    expect(await window.take('b')).toBe(0);
  });
});
