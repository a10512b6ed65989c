import type { Resources } from '@digest/runtime';
import type { Job, Worker } from 'bullmq';

type Logger = Resources['logger'];

/**
 * One line per finished job with its ids (the job's, and the issue's or outbox mail's it carried:
 * payloads carry ids only, never secrets or mail, so they are safe to log) and what it did.
 */
export function logFinishedJobs(logger: Logger, workers: Worker[]): void {
  for (const worker of workers) {
    worker.on('completed', (job: Job, result: unknown) =>
      logger.info({ ...jobFields(worker.name, job), result }, 'job completed'),
    );
  }
}

function jobFields(queue: string, job: Job): Record<string, unknown> {
  const data = (job.data ?? {}) as { issueId?: unknown; outboxId?: unknown };
  return {
    queue,
    job: job.name,
    jobId: job.id,
    attempts: job.attemptsMade,
    issueId: data.issueId,
    outboxId: data.outboxId,
  };
}
