import { buildIssue, issuesDueAt, type SendContext, sendIssue } from '@digest/digest';
import { JOBS, type JobName, type QueueName } from '@digest/queue';
import { sendOutboxMail, type TransactionalMailContext } from '@digest/subscribers';
import { type Job, UnrecoverableError } from 'bullmq';

export interface ProcessorContext {
  send: SendContext;
  mail: TransactionalMailContext;
  /** Aborted when the worker shuts down: send runs stop claiming and release what they hold. */
  stopping: AbortSignal;
}

type Processor = (job: Job, ctx: ProcessorContext) => Promise<unknown>;

/** What each job does: parse the payload against the catalog, call a service, let errors propagate. */
const PROCESSORS: Record<JobName, Processor> = {
  async 'scheduled-digest'(job, { send }) {
    const due = issuesDueAt(new Date(firingTime(job)), send.settings);
    for (const key of due) {
      await send.queues.enqueue('build-digest', key, { jobId: `build-${key.cadence}-${key.date}` });
    }
    return due;
  },

  async 'build-digest'(job, { send }) {
    const key = JOBS['build-digest'].schema.parse(job.data);
    // The sessions connect while the issue renders: its first send runs will likely be ours.
    send.transport.connect();
    const outcome = await buildIssue(send, key);
    return { issueId: outcome.issue.id, status: outcome.issue.status, created: outcome.created };
  },

  async 'send-issue'(job, { send, stopping }) {
    const { issueId } = JOBS['send-issue'].schema.parse(job.data);
    return sendIssue(send, issueId, { signal: stopping });
  },

  async 'send-mail'(job, { mail }) {
    const { outboxId } = JOBS['send-mail'].schema.parse(job.data);
    return { outcome: (await sendOutboxMail(mail, outboxId)) ?? 'not due' };
  },
};

/** The processor of one queue: dispatches on the job name. */
export function queueProcessor(queue: QueueName, ctx: ProcessorContext) {
  return async (job: Job) => {
    const name = job.name as JobName;
    if (!(name in PROCESSORS) || JOBS[name].queue !== queue) {
      throw new UnrecoverableError(`unknown job "${job.name}" on queue "${queue}"`);
    }
    return PROCESSORS[name](job, ctx);
  };
}

/**
 * When the scheduler meant this job to run. A scheduler job is created at the previous firing,
 * so its `timestamp` is a day early; BullMQ keeps the planned time in `opts.prevMillis`.
 */
export function firingTime(job: Job): number {
  return job.opts.prevMillis ?? job.timestamp;
}
