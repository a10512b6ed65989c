import { AppError } from '@digest/core';
import { findIssue, type IssueStatus, skipQueuedDeliveries, transitionIssue } from '@digest/db';
import type { DigestContext, IssueKey } from './context.ts';
import { enqueueDueRuns } from './dispatch.ts';

export type IssueAction = 'pause' | 'resume' | 'cancel';

const TRANSITIONS: Record<IssueAction, { from: IssueStatus[]; to: IssueStatus }> = {
  pause: { from: ['sending'], to: 'paused' },
  resume: { from: ['paused'], to: 'sending' },
  cancel: { from: ['sending', 'paused'], to: 'cancelled' },
};

/**
 * Pauses, resumes or cancels an issue's sending. Pausing stops every run at its next claim or
 * lease renewal (what the relay is already taking finishes, what waits is put back); resuming
 * hands what is due back to the send queue; cancelling skips every delivery still waiting and is
 * final (a resend can still reach named readers).
 */
export async function controlIssue(
  ctx: DigestContext,
  key: IssueKey,
  action: IssueAction,
): Promise<{ status: IssueStatus; skipped: number }> {
  const issue = await findIssue(ctx.db, key.cadence, key.date);
  if (!issue) throw new AppError('not_found', `No ${key.cadence} issue exists for ${key.date}.`);
  const { from, to } = TRANSITIONS[action];
  const moved = await ctx.db.transaction().execute(async (trx) => {
    if (!(await transitionIssue(trx, issue.id, from, to))) return undefined;
    return action === 'cancel' ? skipQueuedDeliveries(trx, issue.id) : 0;
  });
  if (moved === undefined) {
    throw new AppError(
      'conflict',
      `The ${key.cadence} issue of ${key.date} is ${issue.status}; it can be ${action}d only when ${from.join(' or ')}.`,
    );
  }
  if (action === 'resume') await enqueueDueRuns(ctx, issue.id, 'resume');
  ctx.logger.info({ issueId: issue.id, action, status: to, skipped: moved }, 'issue control');
  return { status: to, skipped: moved };
}
