import {
  completeIssueIfDone,
  dueOutboxMail,
  listIssuesInProgress,
  listIssuesWithDueDeliveries,
  reopenIssuesWithWork,
  requeueLapsedDeliveries,
} from '@digest/db';
import type { DigestContext } from './context.ts';
import { enqueueSendRuns } from './dispatch.ts';

/** How often each worker runs a pass. */
export const RECONCILE_INTERVAL_MS = 30_000;
/** Outbox mail enqueued per pass at most; the next pass takes the rest. */
const OUTBOX_PAGE = 1000;

export interface ReconcileReport {
  /** Deliveries whose run died, back in the queue. */
  lapsed: number;
  /** Send runs enqueued, by issue id. */
  runs: Record<number, number>;
  mail: number;
  completed: number[];
}

/**
 * Makes Redis carry whatever Postgres says is due: deliveries whose run died go back in the
 * queue, every issue with due deliveries gets send runs, due outbox mail gets its job, and
 * issues with nothing left are completed. Idempotent and safe with many workers at once: job ids
 * come from domain ids and the time slot of the pass, so the passes of one slot add each job once.
 */
export async function reconcile(ctx: DigestContext, now = Date.now()): Promise<ReconcileReport> {
  const round = `r${Math.floor(now / RECONCILE_INTERVAL_MS)}`;
  const lapsed = await requeueLapsedDeliveries(ctx.db);
  await reopenIssuesWithWork(ctx.db);

  const runs: Record<number, number> = {};
  for (const { issueId, due } of await listIssuesWithDueDeliveries(ctx.db)) {
    runs[issueId] = await enqueueSendRuns(ctx, issueId, due, round);
  }

  const mail = await dueOutboxMail(ctx.db, OUTBOX_PAGE);
  if (mail.length > 0) {
    await ctx.queues.enqueueBulk(
      'send-mail',
      mail.map((row) => ({ data: { outboxId: row.id }, jobId: `mail-${row.id}-${round}` })),
    );
  }

  const completed: number[] = [];
  for (const issue of await listIssuesInProgress(ctx.db)) {
    if (await completeIssueIfDone(ctx.db, issue.id)) completed.push(issue.id);
  }
  return { lapsed, runs, mail: mail.length, completed };
}
