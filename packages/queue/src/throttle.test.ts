import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../../test/support/env.ts';
import { testQueuePrefix } from '../../../test/support/redis.ts';
import { SendThrottle } from './throttle.ts';

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

describe('SendThrottle', () => {
  it('holds two workers together to one SEND_RATE and a domain to its own rate', async () => {
    const limits = { sendRate: 40, domainRates: { 'slow.example': 10 } };
    const workers = [
      new SendThrottle(redis, namespace.prefix, limits),
      new SendThrottle(redis, namespace.prefix, limits),
    ];
    const started = Date.now();
    // 20 messages from two workers at 40/s: the last leaves about 475 ms after the first.
    await Promise.all(Array.from({ length: 20 }, (_, index) => workers[index % 2]!.acquire('fast.example')));
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);

    const domainStart = Date.now();
    await Promise.all(Array.from({ length: 6 }, (_, index) => workers[index % 2]!.acquire('slow.example')));
    expect(Date.now() - domainStart).toBeGreaterThanOrEqual(480);
  });

  it('costs nothing when no rate is set', async () => {
    const throttle = new SendThrottle(redis, namespace.prefix, { domainRates: {} });
    const started = Date.now();
    for (let index = 0; index < 200; index++) await throttle.acquire('example.org');
    expect(Date.now() - started).toBeLessThan(50);
  });

  it('shares a throttled domain’s back-off with every worker, doubling when it throttles again', async () => {
    const [one, two] = [
      new SendThrottle(redis, namespace.prefix, { domainRates: {} }),
      new SendThrottle(redis, namespace.prefix, { domainRates: {} }),
    ];
    const first = await one!.backOff('gmail.com');
    expect(first.getTime() - Date.now()).toBeGreaterThan(50_000);
    const blocked = await two!.blockedDomains(['gmail.com', 'outlook.com']);
    expect([...blocked.keys()]).toEqual(['gmail.com']);
    // Many sends refused during one back-off are one strike.
    expect(await two!.backOff('gmail.com')).toEqual(first);
    // Throttled again once it ended: twice as long.
    await redis.del(`${namespace.prefix}:throttle:backoff:gmail.com`);
    const second = await two!.backOff('gmail.com');
    expect(second.getTime() - Date.now()).toBeGreaterThan(110_000);
  });
});
