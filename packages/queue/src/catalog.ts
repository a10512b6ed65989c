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
  /** Sends one batch of an issue's deliveries. */
  'send-batch': {
    queue: 'send',
    schema: z.object({ issueId: id, deliveryIds: z.array(id).min(1).max(1000) }),
    options: { attempts: 6, backoff: { type: 'exponential', delay: 15_000 } },
  },
  'send-confirmation': {
    queue: 'mail',
    schema: z.object({ subscriberId: id }),
    options: { attempts: 6, backoff: { type: 'exponential', delay: 10_000 } },
  },
  'send-welcome': {
    queue: 'mail',
    schema: z.object({ subscriberId: id }),
    options: { attempts: 6, backoff: { type: 'exponential', delay: 10_000 } },
  },
  /** "Email me my data" from the preferences page. */
  'send-data-export': {
    queue: 'mail',
    schema: z.object({ subscriberId: id }),
    options: { attempts: 6, backoff: { type: 'exponential', delay: 10_000 } },
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
