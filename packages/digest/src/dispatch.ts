import { pageUnclaimedDeliveryIds } from '@digest/db';
import type { Job } from 'bullmq';
import type { DigestContext, IssueKey } from './context.ts';

/** Deliveries per send-batch job: large enough to amortise the claim, small enough to retry cheaply. */
export const BATCH_SIZE = 200;

/**
 * Enqueues send-batch jobs for the given deliveries. Job ids come from the issue and the batch's
 * first delivery, plus `round` for a resend or a recovery, so enqueueing the same batch twice in
 * one round is a no-op. Which job sends a delivery is settled by the claim in the ledger.
 */
export async function enqueueBatches(ctx: DigestContext, issueId: number, ids: number[], round?: string) {
  const jobs = [];
  for (let start = 0; start < ids.length; start += BATCH_SIZE) {
    const deliveryIds = ids.slice(start, start + BATCH_SIZE);
    const first = deliveryIds[0] as number;
    jobs.push({
      data: { issueId, deliveryIds },
      jobId: `send-${issueId}-${first}${round ? `-${round}` : ''}`,
    });
  }
  if (jobs.length > 0) await ctx.queues.enqueueBulk('send-batch', jobs);
  return jobs.length;
}

/**
 * Enqueues every delivery of the issue that no live send job owns, a page at a time so memory
 * stays flat. Returns the number of batches.
 */
export async function enqueueUnclaimedDeliveries(
  ctx: DigestContext,
  issueId: number,
  round?: string,
): Promise<number> {
  let batches = 0;
  let afterId = 0;
  for (;;) {
    const page = await pageUnclaimedDeliveryIds(ctx.db, issueId, afterId, BATCH_SIZE * 50);
    if (page.length === 0) return batches;
    batches += await enqueueBatches(ctx, issueId, page, round);
    afterId = page.at(-1) as number;
  }
}

/**
 * Asks a worker to build (and send) an issue now. Each request gets its own job, so a day that
 * was skipped can be built once papers arrive; the build itself never sends an issue twice.
 */
export async function requestBuild(ctx: DigestContext, key: IssueKey): Promise<Job> {
  return ctx.queues.enqueue('build-digest', key, {
    jobId: `build-${key.cadence}-${key.date}-${Date.now().toString(36)}`,
  });
}
