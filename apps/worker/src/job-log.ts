import type { Resources } from '@digest/runtime';
import type { Job, Worker } from 'bullmq';

type Logger = Resources['logger'];

/**
 * One line per finished job with its ids: the job's, and the issue's and deliveries' it carried
 * (payloads carry ids only, never secrets or mail, so they are safe to log).
 */
export function logFinishedJobs(logger: Logger, workers: Worker[]): void {
  for (const worker of workers) {
    worker.on('completed', (job: Job) => logger.info(jobFields(logger, worker.name, job), 'job completed'));
  }
}

function jobFields(logger: Logger, queue: string, job: Job): Record<string, unknown> {
  const data = (job.data ?? {}) as { issueId?: unknown; deliveryIds?: unknown; subscriberId?: unknown };
  const deliveryIds = Array.isArray(data.deliveryIds) ? data.deliveryIds : undefined;
  return {
    queue,
    job: job.name,
    jobId: job.id,
    attempts: job.attemptsMade,
    issueId: data.issueId,
    subscriberId: data.subscriberId,
    deliveries: deliveryIds?.length,
    // The ids themselves at debug level: a batch carries up to 200.
    ...(logger.isLevelEnabled('debug') && deliveryIds ? { deliveryIds } : {}),
  };
}
