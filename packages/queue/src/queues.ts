import { type Job, type JobsOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { JOBS, type JobData, type JobName, QUEUE_NAMES, type QueueName, RETENTION } from './catalog.ts';

/** BullMQ needs `maxRetriesPerRequest: null` so blocking commands wait out a Redis restart. */
export function createRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

export interface EnqueueOptions {
  /** Derived from domain ids, so enqueueing the same work twice is a no-op. */
  jobId?: string;
  deduplication?: JobsOptions['deduplication'];
  delay?: number;
}

export class Queues {
  readonly byName: Record<QueueName, Queue>;
  readonly connection: Redis;
  readonly prefix: string;

  constructor(connection: Redis, prefix: string, onError: (error: Error) => void) {
    this.connection = connection;
    this.prefix = prefix;
    this.byName = Object.fromEntries(
      QUEUE_NAMES.map((name) => {
        const queue = new Queue(name, { connection, prefix, defaultJobOptions: RETENTION });
        // Without a listener BullMQ prints every connection error itself.
        queue.on('error', onError);
        return [name, queue];
      }),
    ) as Record<QueueName, Queue>;
  }

  /** Validates the payload against the catalog and adds the job with the catalog's options. */
  async enqueue<Name extends JobName>(
    name: Name,
    data: JobData<Name>,
    options: EnqueueOptions = {},
  ): Promise<Job> {
    const job = JOBS[name];
    const payload = job.schema.parse(data);
    return this.byName[job.queue].add(name, payload, { ...job.options, ...options });
  }

  /** Adds many jobs of one kind in one round trip. */
  async enqueueBulk<Name extends JobName>(
    name: Name,
    items: { data: JobData<Name>; jobId: string }[],
  ): Promise<Job[]> {
    const job = JOBS[name];
    return this.byName[job.queue].addBulk(
      items.map((item) => ({
        name,
        data: job.schema.parse(item.data),
        opts: { ...job.options, jobId: item.jobId },
      })),
    );
  }

  queueOf(name: JobName): Queue {
    return this.byName[JOBS[name].queue];
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.byName).map((queue) => queue.close()));
  }
}
