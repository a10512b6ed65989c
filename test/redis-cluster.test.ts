import { countDeliveriesByStatus, findIssue, insertSubscriber } from '@digest/db';
import { importPapers } from '@digest/digest';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientRateLimiter, slidingWindow } from '../apps/api/src/http/rate-limit.ts';
import { type RunningWorkers, startWorkers } from '../apps/worker/src/workers.ts';
import { fixture } from './support/fixtures.ts';
import { type Harness, openHarness } from './support/harness.ts';
import { eventually } from './support/processes.ts';
import { startRedisCluster, type TestRedisCluster } from './support/redis-cluster.ts';

let cluster: TestRedisCluster;
let harness: Harness;
let workers: RunningWorkers;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  harness = await openHarness({ REDIS_URL: cluster.url });
  await importPapers(harness.resources.db, fixture('hf-daily-papers-sample.json'), { timeZone: 'UTC' });
  workers = await startWorkers(harness.resources);
}, 60_000);

afterAll(async () => {
  await workers?.close();
  await harness?.close();
  await cluster?.close();
});

/** Every key of the test's prefix, per cluster node. */
async function keysPerNode(prefix: string): Promise<number[]> {
  return Promise.all(
    cluster.ports.map(async (port) => {
      const node = new Redis(port, '127.0.0.1');
      try {
        return (await node.keys(`${prefix}:*`)).length;
      } finally {
        node.disconnect();
      }
    }),
  );
}

describe('on a three-node Redis Cluster', () => {
  it('sends an issue through queues and workers, every key in the slot of the prefix hash tag', async () => {
    const { db, queues } = harness.resources;
    for (let index = 0; index < 3; index++) {
      await insertSubscriber(db, {
        email: `reader-${index}@example.org`,
        status: 'active',
        consent_source: 'import',
      });
    }
    await queues.enqueue('build-digest', { cadence: 'daily', date: '2026-05-22' });

    const mails = await harness.smtp.waitFor(3);
    expect(mails.flatMap((mail) => mail.envelopeTo).sort()).toEqual([
      'reader-0@example.org',
      'reader-1@example.org',
      'reader-2@example.org',
    ]);
    const issue = await eventually(async () => {
      const found = await findIssue(db, 'daily', '2026-05-22');
      return found?.status === 'sent' ? found : undefined;
    });
    expect(await countDeliveriesByStatus(db, issue.id)).toMatchObject({ sent: 3, queued: 0, failed: 0 });

    expect(queues.prefix).toBe(`{${harness.config.QUEUE_PREFIX}}`);
    const counts = await keysPerNode(queues.prefix);
    expect(counts.filter((count) => count > 0)).toHaveLength(1);
  });

  it('counts signups per client and queues their mail on the cluster too, many at once', async () => {
    const { redis, queues } = harness.resources;
    const limit = clientRateLimiter(slidingWindow(redis, `${queues.prefix}:ratelimit:test`, 1, 60_000));
    await limit('203.0.113.7');
    // Taken together (one script call for several keys) while the first call is in flight.
    const takes = await Promise.allSettled(['203.0.113.7', '203.0.113.8', '203.0.113.9'].map(limit));
    expect(takes.map((take) => take.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);

    // Jobs never run here: no outbox rows, so the worker finds nothing due and the jobs just end.
    await Promise.all(
      [901, 902, 903].map((id) => queues.enqueueGrouped('send-mail', { outboxId: id }, `mail-${id}`)),
    );
    const jobs = await Promise.all(
      [901, 902, 903].map((id) => queues.queueOf('send-mail').getJob(`mail-${id}`)),
    );
    expect(jobs.map((job) => job?.data)).toEqual([{ outboxId: 901 }, { outboxId: 902 }, { outboxId: 903 }]);
  });
});
