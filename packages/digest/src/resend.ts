import { AppError } from '@digest/core';
import {
  ensureDeliveryPartitions,
  findIssue,
  findSubscribersByEmails,
  queueResend,
  type ResendSelection,
  skipQueuedDeliveries,
  transitionIssue,
} from '@digest/db';
import type { DigestContext, IssueKey } from './context.ts';
import { enqueueSendRuns, freshRound, refreshLedgerStatistics } from './dispatch.ts';

export interface ResendRequest extends IssueKey {
  /** Only these addresses (a new delivery for each, even one who already received it). */
  emails?: string[];
  /** Only deliveries that failed. */
  failedOnly?: boolean;
  /** Every active subscriber of the cadence who has not received it. */
  missingOnly?: boolean;
  /** Every active subscriber of the cadence, again. */
  all?: boolean;
}

/** Which deliveries a request names: exactly one kind, never "everyone" by omission. */
function selectionOf(request: ResendRequest): Exclude<ResendSelection, { mode: 'subscribers' }> | 'emails' {
  const chosen = [
    request.emails !== undefined && ('emails' as const),
    request.failedOnly && ({ mode: 'failed' } as const),
    request.missingOnly && ({ mode: 'missing' } as const),
    request.all && ({ mode: 'all' } as const),
  ].filter((choice) => choice !== false && choice !== undefined);
  if (chosen.length !== 1) {
    throw new AppError(
      'invalid_input',
      'Say who gets the resend: exactly one of emails, failedOnly, missingOnly or all (true).',
    );
  }
  return chosen[0] as Exclude<ResendSelection, { mode: 'subscribers' }> | 'emails';
}

/**
 * Sends an issue again, exactly as it was built: to named addresses, to the failed deliveries, to
 * those who have not received it, or to every active subscriber. A resend to someone who already
 * received it is a new delivery in the ledger. Unknown or inactive addresses are an error and
 * nothing is queued.
 */
export async function resendIssue(ctx: DigestContext, request: ResendRequest): Promise<{ requeued: number }> {
  const chosen = selectionOf(request);
  const issue = await findIssue(ctx.db, request.cadence, request.date);
  if (!issue || issue.status === 'skipped') {
    throw new AppError('not_found', `No ${request.cadence} issue was sent for ${request.date}.`);
  }
  const selection: ResendSelection =
    chosen === 'emails'
      ? { mode: 'subscribers', subscriberIds: await activeSubscriberIds(ctx, request.emails ?? []) }
      : chosen;

  // Its month may have been dropped (DELIVERY_RETENTION_MONTHS): a resend fills it again.
  await ensureDeliveryPartitions(ctx.db, [issue.issue_date]);
  const ids = await ctx.db.transaction().execute(async (trx) => {
    // One resend of an issue at a time: two at once would both add a copy for everyone.
    const locked = await trx
      .selectFrom('issues')
      .select('status')
      .where('id', '=', issue.id)
      .forUpdate()
      .executeTakeFirst();
    // What a cancel may have left queued stays cancelled: only whom this resend chooses goes out.
    if (locked?.status === 'cancelled') await skipQueuedDeliveries(trx, issue.id);
    const queued = await queueResend(trx, issue, selection);
    // A finished or cancelled issue sends again; a paused one waits for its resume.
    if (queued.length > 0) await transitionIssue(trx, issue.id, ['sent', 'cancelled'], 'sending');
    return queued;
  });
  if (ids.length > 0) {
    // A month dropped and filled again starts without statistics (see buildIssue).
    await refreshLedgerStatistics(ctx, issue.issue_date, ids.length);
    await enqueueSendRuns(ctx, issue.id, ids.length, freshRound('resend'));
  }
  ctx.logger.info({ issueId: issue.id, mode: selection.mode, requeued: ids.length }, 'resend queued');
  return { requeued: ids.length };
}

async function activeSubscriberIds(ctx: DigestContext, emails: string[]): Promise<number[]> {
  const subscribers = await findSubscribersByEmails(ctx.db, emails);
  const known = new Set(subscribers.map((subscriber) => subscriber.email.toLowerCase()));
  const unknown = emails.filter((email) => !known.has(email.toLowerCase()));
  if (unknown.length > 0) throw new AppError('not_found', `Unknown subscriber(s): ${unknown.join(', ')}`);
  const inactive = subscribers.filter((subscriber) => subscriber.status !== 'active');
  if (inactive.length > 0) {
    const list = inactive.map((subscriber) => `${subscriber.email} (${subscriber.status})`).join(', ');
    throw new AppError('conflict', `Not an active subscriber: ${list}. Nothing was resent.`);
  }
  return subscribers.map((subscriber) => subscriber.id);
}
