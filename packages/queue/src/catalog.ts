import { isoDateSchema } from '@digest/core';
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

const id = z.number().int().positive();

/**
 * Every job the system runs: its queue, payload schema and options. Payloads carry ids only,
 * never addresses, secrets or rendered mail.
 */
export const JOBS = {
  /** Fired by the job scheduler at DIGEST_CRON; decides which issues are due today. */
  'scheduled-digest': {
    queue: 'digest',
    schema: z.object({}),
    options: { attempts: 3, backoff: { type: 'exponential', delay: 10_000 } },
  },
  /** Builds the issue of (cadence, date) once and queues its deliveries. */
  'build-digest': {
    queue: 'digest',
    schema: z.object({ cadence: z.enum(['daily', 'weekly']), date: isoDateSchema }),
    options: { attempts: 5, backoff: { type: 'exponential', delay: 5_000 } },
  },
  /**
   * One send run of an issue: leases due deliveries from the ledger and sends them until none is
   * due. Which run sends a delivery is settled by its lease in Postgres, so a lost, repeated or
   * extra run job never loses or doubles a message; the reconciler enqueues runs for due work.
   */
  'send-issue': {
    queue: 'send',
    schema: z.object({ issueId: id }),
    options: { attempts: 3, backoff: { type: 'exponential', delay: 5_000 } },
  },
  /** One transactional mail of the outbox (confirmation, welcome); retries are kept in its row. */
  'send-mail': {
    queue: 'mail',
    schema: z.object({ outboxId: id }),
    options: { attempts: 3, backoff: { type: 'exponential', delay: 5_000 } },
  },
} as const satisfies Record<string, { queue: string; schema: z.ZodType; options: JobsOptions }>;

export type JobName = keyof typeof JOBS;
export type JobData<Name extends JobName> = z.infer<(typeof JOBS)[Name]['schema']>;
export type QueueName = (typeof JOBS)[JobName]['queue'];
export const QUEUE_NAMES = [...new Set(Object.values(JOBS).map((job) => job.queue))] as QueueName[];

/** Finished jobs are kept a while for the dashboard, then trimmed so Redis stays small. */
export const RETENTION: Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 14 * 24 * 3600 },
};
