import { dateInZone, type IsoDate, monthStart } from '@digest/core';
import {
  completeIssueIfDone,
  dropDeliveryPartitionsBefore,
  dueOutboxMail,
  ensureDeliveryPartitions,
  keepSettledCounts,
  LOCK_NOT_AVAILABLE,
  listIssuesInProgress,
  listIssuesWithDueDeliveries,
  reopenIssuesWithWork,
  requeueLapsedDeliveries,
  skipQueuedOfCancelledIssues,
} from '@digest/db';
import type { DigestContext } from './context.ts';
import { DUE_COUNTED, enqueueSendRuns } from './dispatch.ts';

/** How often each worker runs a pass. */
export const RECONCILE_INTERVAL_MS = 30_000;
/** Outbox mail enqueued per pass at most; the next pass takes the rest. */
const OUTBOX_PAGE = 1000;
/**
 * How long a pass waits for the locks of a ledger partition change (a long fan-out holds the
 * ledger) before leaving it to a later pass, so that queries never queue long behind the wait.
 */
const PARTITION_LOCK_TIMEOUT_MS = 2_000;

export interface ReconcileReport {
  /** Deliveries whose run died, back in the queue. */
  lapsed: number;
  /** Deliveries of cancelled issues left queued (an outcome written as the cancel committed), skipped. */
  cancelled: number;
  /** Send runs enqueued, by issue id. */
  runs: Record<number, number>;
  mail: number;
  completed: number[];
  /** An issue sent before issues kept their counts, counted now for the issue list (one a pass). */
  counted?: number;
  /** Ledger months (YYYY-MM-01) created ahead, and dropped past DELIVERY_RETENTION_MONTHS. */
  partitions: { created: IsoDate[]; dropped: IsoDate[] };
}

/**
 * Makes Redis carry whatever Postgres says is due: deliveries whose run died go back in the
 * queue (or are skipped, if their issue was cancelled), every issue with due deliveries gets send
 * runs, due outbox mail gets its job, and issues with nothing left are completed (and one sent
 * issue without kept counts is counted).
 * Idempotent and safe with many workers at once: job ids come from domain ids and the time slot
 * of the pass, so the passes of one slot add each job once.
 */
export async function reconcile(ctx: DigestContext, now = Date.now()): Promise<ReconcileReport> {
  const round = `r${Math.floor(now / RECONCILE_INTERVAL_MS)}`;
  const lapsed = await requeueLapsedDeliveries(ctx.db);
  const cancelled = await skipQueuedOfCancelledIssues(ctx.db);
  await reopenIssuesWithWork(ctx.db);

  const runs: Record<number, number> = {};
  for (const { issueId, due } of await listIssuesWithDueDeliveries(ctx.db, DUE_COUNTED)) {
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
  const counted = await keepSettledCounts(ctx.db);
  return {
    lapsed,
    cancelled,
    runs,
    mail: mail.length,
    completed,
    counted,
    partitions: await maintainPartitions(ctx, now),
  };
}

/**
 * The ledger's monthly partitions: this month's and the next exist before any issue is dated in
 * them, and with DELIVERY_RETENTION_MONTHS the months wholly older than that are dropped (never
 * the current one). Months are those of DIGEST_TZ, the zone of issue dates.
 */
async function maintainPartitions(ctx: DigestContext, now: number): Promise<ReconcileReport['partitions']> {
  const thisMonth = monthStart(dateInZone(new Date(now), ctx.settings.timeZone));
  const options = { lockTimeoutMs: PARTITION_LOCK_TIMEOUT_MS };
  const created = await unlessBusy(ctx, () =>
    ensureDeliveryPartitions(ctx.db, [thisMonth, monthStart(thisMonth, 1)], options),
  );
  if (created.length > 0) ctx.logger.info({ months: created }, 'delivery partitions created');

  const { retentionMonths } = ctx.settings;
  if (retentionMonths === undefined) return { created, dropped: [] };
  const dropped = await unlessBusy(ctx, () =>
    dropDeliveryPartitionsBefore(ctx.db, monthStart(thisMonth, -retentionMonths), options),
  );
  if (dropped.length > 0) {
    const months = dropped.map((month) => month.slice(0, 7)).join(', ');
    ctx.logger.info(
      { months: dropped, retentionMonths },
      `dropped the deliveries of ${months}: older than DELIVERY_RETENTION_MONTHS=${retentionMonths}`,
    );
  }
  return { created, dropped };
}

/** The months changed, or none when the locks were busy: a later pass does it. */
async function unlessBusy(ctx: DigestContext, change: () => Promise<IsoDate[]>): Promise<IsoDate[]> {
  try {
    return await change();
  } catch (error) {
    if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw error;
    ctx.logger.info('delivery partitions: locks busy, a later pass tries again');
    return [];
  }
}
