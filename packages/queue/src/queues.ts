import { groupCommit } from '@digest/core';
import { type Job, type JobsOptions, Queue } from 'bullmq';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { JOBS, type JobData, type JobName, QUEUE_NAMES, type QueueName, RETENTION } from './catalog.ts';

/** One Redis server, or a Redis Cluster: BullMQ and the rate limits work on either. */
export type RedisConnection = Redis | Cluster;

/**
 * How a process uses Redis. A `worker` runs BullMQ Workers, whose blocking commands must wait
 * out a restart (`maxRetriesPerRequest: null`). A `producer` (the API) answers people: while
 * Redis is away a command fails at once (no offline queue) or within COMMAND_TIMEOUT_MS, rather
 * than hang and then run late, after its client gave up.
 */
export type RedisRole = 'worker' | 'producer';

const COMMAND_TIMEOUT_MS = 1_500;
const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  worker: { maxRetriesPerRequest: null },
  producer: { maxRetriesPerRequest: 0, enableOfflineQueue: false, commandTimeout: COMMAND_TIMEOUT_MS },
};

/**
 * `redis[s]://…` connects to one server; `redis[s]+cluster://host:port` to the cluster that node
 * belongs to.
 */
export function createRedis(url: string, role: RedisRole = 'worker'): RedisConnection {
  const options = ROLE_OPTIONS[role];
  const parsed = new URL(url);
  if (!parsed.protocol.endsWith('+cluster:')) return new Redis(url, options);
  return new Cluster([{ host: parsed.hostname, port: Number(parsed.port || 6379) }], {
    enableOfflineQueue: options.enableOfflineQueue ?? true,
    redisOptions: {
      ...options,
      username: decodeURIComponent(parsed.username) || undefined,
      password: decodeURIComponent(parsed.password) || undefined,
      tls: parsed.protocol === 'rediss+cluster:' ? {} : undefined,
    },
  });
}

/**
 * BullMQ's keys are `<prefix>:<queue>:…` and its scripts touch several of them at once, which a
 * cluster allows only within one slot: the braces make the prefix the hash tag of every key.
 */
export function redisKeyPrefix(prefix: string): string {
  return `{${prefix}}`;
}

/** Jobs per addBulk of enqueueGrouped: one pipeline, bounded. */
const GROUP_MAX = 500;

export interface EnqueueOptions {
  /** Derived from domain ids, so enqueueing the same work twice is a no-op. */
  jobId?: string;
  deduplication?: JobsOptions['deduplication'];
  delay?: number;
}

export class Queues {
  readonly byName: Record<QueueName, Queue>;
  readonly connection: RedisConnection;
  /** The hash-tagged prefix of every key: queues, and any other key the app writes. */
  readonly prefix: string;
  private readonly grouped = new Map<JobName, (item: { data: unknown; jobId: string }) => Promise<unknown>>();

  constructor(connection: RedisConnection, prefix: string, onError: (error: Error) => void) {
    this.connection = connection;
    this.prefix = redisKeyPrefix(prefix);
    this.byName = Object.fromEntries(
      QUEUE_NAMES.map((name) => {
        const queue = new Queue(name, { connection, prefix: this.prefix, defaultJobOptions: RETENTION });
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

  /**
   * Adds a job like `enqueue` with a job id, together with the others of its name enqueued while
   * the previous batch was in flight: one round trip for them all (see groupCommit). For work
   * that every request adds, such as a signup's confirmation mail.
   */
  async enqueueGrouped<Name extends JobName>(name: Name, data: JobData<Name>, jobId: string): Promise<void> {
    let add = this.grouped.get(name);
    if (!add) {
      add = groupCommit(
        (items) => this.enqueueBulk(name, items as { data: JobData<Name>; jobId: string }[]),
        GROUP_MAX,
      );
      this.grouped.set(name, add);
    }
    await add({ data, jobId });
  }

  queueOf(name: JobName): Queue {
    return this.byName[JOBS[name].queue];
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.byName).map((queue) => queue.close()));
  }
}
