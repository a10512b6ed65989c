import { listIssuesInProgress } from '@digest/db';
import { buildIssue, issuesDueAt, resumeIssue, type SendContext, sendBatch } from '@digest/digest';
import { classifySendError } from '@digest/email';
import { JOBS, type JobName, type QueueName } from '@digest/queue';
import {
  sendConfirmationMail,
  sendDataExportMail,
  sendWelcomeMail,
  type TransactionalMailContext,
} from '@digest/subscribers';
import { type Job, UnrecoverableError } from 'bullmq';

export interface ProcessorContext {
  send: SendContext;
  mail: TransactionalMailContext;
}

type Processor = (job: Job, ctx: ProcessorContext) => Promise<unknown>;

/** What each job does: parse the payload against the catalog, call a service, let errors propagate. */
const PROCESSORS: Record<JobName, Processor> = {
  async 'scheduled-digest'(job, { send }) {
    // Recovery first: deliveries of earlier issues whose send job gave up get a new one.
    for (const issue of await listIssuesInProgress(send.db)) await resumeIssue(send, issue);
    const due = issuesDueAt(new Date(firingTime(job)), send.settings);
    for (const key of due) {
      await send.queues.enqueue('build-digest', key, { jobId: `build-${key.cadence}-${key.date}` });
    }
    return due;
  },

  async 'build-digest'(job, { send }) {
    const key = JOBS['build-digest'].schema.parse(job.data);
    const outcome = await buildIssue(send, key);
    return { issueId: outcome.issue.id, status: outcome.issue.status, created: outcome.created };
  },

  async 'send-batch'(job, { send }) {
    const batch = JOBS['send-batch'].schema.parse(job.data);
    const outcome = await sendBatch(send, batch, { lastAttempt: isLastAttempt(job), owner: String(job.id) });
    if (outcome.deferred > 0) {
      // Throwing hands the deferred deliveries to BullMQ's retry with backoff.
      throw new Error(`${outcome.deferred} deliveries deferred: ${outcome.deferredReason}`);
    }
    return outcome;
  },

  async 'send-confirmation'(job, { mail }) {
    const { subscriberId } = JOBS['send-confirmation'].schema.parse(job.data);
    return permanentFailuresAreFinal(() => sendConfirmationMail(mail, subscriberId));
  },

  async 'send-welcome'(job, { mail }) {
    const { subscriberId } = JOBS['send-welcome'].schema.parse(job.data);
    return permanentFailuresAreFinal(() => sendWelcomeMail(mail, subscriberId));
  },

  async 'send-data-export'(job, { mail }) {
    const { subscriberId } = JOBS['send-data-export'].schema.parse(job.data);
    return permanentFailuresAreFinal(() => sendDataExportMail(mail, subscriberId));
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

function isLastAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** A 5xx reply will not change on retry: fail the job at once instead of backing off. */
async function permanentFailuresAreFinal<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const failure = classifySendError(error);
    if (failure.permanent) throw new UnrecoverableError(failure.reason);
    throw error;
  }
}
