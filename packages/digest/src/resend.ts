import { AppError } from '@digest/core';
import { findIssue, findSubscribersByEmails, reopenIssue, requeueDeliveries } from '@digest/db';
import type { DigestContext, IssueKey } from './context.ts';
import { enqueueBatches } from './dispatch.ts';

export interface ResendRequest extends IssueKey {
  /** Only these addresses (a delivery is created for any who had none). */
  emails?: string[];
  /** Only deliveries that failed. */
  failedOnly?: boolean;
}

/**
 * Sends an issue again, exactly as it was built: to named addresses, to the failed deliveries,
 * or to everyone still subscribed. Unknown or unsubscribed addresses are an error and nothing is
 * queued.
 */
export async function resendIssue(ctx: DigestContext, request: ResendRequest): Promise<{ requeued: number }> {
  const issue = await findIssue(ctx.db, request.cadence, request.date);
  if (!issue || issue.status === 'skipped') {
    throw new AppError('not_found', `No ${request.cadence} issue was sent for ${request.date}.`);
  }
  let subscriberIds: number[] | undefined;
  if (request.emails) {
    const subscribers = await findSubscribersByEmails(ctx.db, request.emails);
    const known = new Set(subscribers.map((subscriber) => subscriber.email.toLowerCase()));
    const unknown = request.emails.filter((email) => !known.has(email.toLowerCase()));
    if (unknown.length > 0) throw new AppError('not_found', `Unknown subscriber(s): ${unknown.join(', ')}`);
    const inactive = subscribers.filter((subscriber) => subscriber.status !== 'active');
    if (inactive.length > 0) {
      const list = inactive.map((subscriber) => `${subscriber.email} (${subscriber.status})`).join(', ');
      throw new AppError('conflict', `Not an active subscriber: ${list}. Nothing was resent.`);
    }
    subscriberIds = subscribers.map((subscriber) => subscriber.id);
  }

  const ids = await ctx.db.transaction().execute(async (trx) => {
    const requeued = await requeueDeliveries(trx, issue.id, {
      failedOnly: request.failedOnly,
      subscriberIds,
    });
    if (requeued.length > 0) await reopenIssue(trx, issue.id);
    return requeued;
  });
  // Only the deliveries put back here: others still queued belong to send jobs already waiting.
  await enqueueBatches(ctx, issue.id, ids, `resend${Date.now().toString(36)}`);
  ctx.logger.info({ issueId: issue.id, ...request, requeued: ids.length }, 'resend queued');
  return { requeued: ids.length };
}
