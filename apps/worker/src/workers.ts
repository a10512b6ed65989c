import type { Config } from '@digest/config';
import { createSmtpTransport, type MailTransport } from '@digest/email';
import type { DeliveryObserver } from '@digest/metrics';
import { QUEUE_NAMES, type QueueName } from '@digest/queue';
import { type Resources, senders } from '@digest/runtime';
import { Worker } from 'bullmq';
import { queueProcessor } from './processors.ts';

/** Jobs of each queue one worker process runs at once. */
const CONCURRENCY: Record<QueueName, number> = { digest: 1, send: 4, mail: 5 };

/**
 * How fast a dead worker's jobs come back. The stalled check (a short Lua script that one worker
 * runs per interval) marks active jobs and, on its next pass, hands on those whose lock has
 * lapsed: within BullMQ's 30 s lock plus one interval of a worker's death. The lock keeps its
 * default length, so a live worker that misses renewals briefly (a Redis restart) keeps its job.
 */
const STALLED_CHECK_MS = 10_000;

export const SCHEDULER_ID = 'daily-digest';

export interface RunningWorkers {
  workers: Worker[];
  transport: MailTransport;
  close(): Promise<void>;
}

/** Starts one BullMQ worker per queue and (idempotently) the daily scheduler. */
export async function startWorkers(
  resources: Resources,
  transport = smtpTransportFor(resources.config),
  observer?: DeliveryObserver,
): Promise<RunningWorkers> {
  const { config, logger, queues } = resources;
  const ctx = senders(resources, transport, observer);

  const workers = QUEUE_NAMES.map((queue) => {
    const worker = new Worker(queue, queueProcessor(queue, ctx), {
      // BullMQ duplicates it for its blocking connection and closes what it made itself.
      connection: resources.redis,
      prefix: queues.prefix,
      concurrency: CONCURRENCY[queue],
      // A worker killed mid-batch leaves its job stalled; another worker picks it up again.
      maxStalledCount: 5,
      stalledInterval: STALLED_CHECK_MS,
    });
    worker.on('failed', (job, error) =>
      logger.warn(
        { queue, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade, err: error.message },
        'job failed',
      ),
    );
    worker.on('error', (error) => logger.error({ queue, err: error }, 'worker error'));
    return worker;
  });

  // Every worker upserts the same scheduler id: starting more workers never adds a second schedule.
  await queues
    .queueOf('scheduled-digest')
    .upsertJobScheduler(
      SCHEDULER_ID,
      { pattern: config.DIGEST_CRON, tz: config.DIGEST_TZ },
      { name: 'scheduled-digest', data: {} },
    );
  logger.info({ queues: QUEUE_NAMES, cron: config.DIGEST_CRON, tz: config.DIGEST_TZ }, 'workers started');

  return {
    workers,
    transport,
    async close() {
      // Waits for the jobs in progress, so no batch is abandoned mid-send.
      await Promise.all(workers.map((worker) => worker.close()));
      transport.close();
    },
  };
}

export function smtpTransportFor(config: Config): MailTransport {
  return createSmtpTransport({
    url: config.SMTP_URL,
    poolSize: config.SMTP_POOL_SIZE,
    rateLimit: config.SEND_RATE,
    dkim: config.dkim,
  });
}
