import type { IsoDate } from '@digest/core';
import { listIssuesWithDueDeliveries, refreshMonthStatistics } from '@digest/db';
import type { Job } from 'bullmq';
import type { DigestContext, IssueKey } from './context.ts';

/** Deliveries a send run leases per claim: enough to amortise the statement, few enough to pause fast. */
export const CLAIM_SIZE = 200;
/** Send runs enqueued for an issue at once: enough to keep every worker of a large deployment busy. */
const MOST_RUNS_PER_ISSUE = 16;
/** Due deliveries worth counting: more than this gets no more runs. */
export const DUE_COUNTED = MOST_RUNS_PER_ISSUE * CLAIM_SIZE;

/**
 * Enqueues send runs for an issue with `due` deliveries waiting. A run takes its work from the
 * ledger, not from the job, so extra runs are harmless and a lost one loses nothing. Job ids
 * come from the issue, `round` (build, reconciler pass, resend) and the run's slot: enqueueing
 * the same round twice, from any number of workers, adds nothing.
 */
export async function enqueueSendRuns(ctx: DigestContext, issueId: number, due: number, round: string) {
  const runs = Math.min(MOST_RUNS_PER_ISSUE, Math.max(1, Math.ceil(due / CLAIM_SIZE)));
  await ctx.queues.enqueueBulk(
    'send-issue',
    Array.from({ length: runs }, (_, slot) => ({
      data: { issueId },
      jobId: `send-${issueId}-${round}-${slot}`,
    })),
  );
  return runs;
}

/** Enqueues send runs for whatever of the issue is due now; returns how many runs. */
export async function enqueueDueRuns(ctx: DigestContext, issueId: number, kind: string): Promise<number> {
  const [due] = await listIssuesWithDueDeliveries(ctx.db, DUE_COUNTED, issueId);
  return due ? enqueueSendRuns(ctx, issueId, due.due, freshRound(kind)) : 0;
}

/** A round name for work enqueued now, unique to this moment. */
export function freshRound(kind: string): string {
  return `${kind}${Date.now().toString(36)}`;
}

/**
 * Asks a worker to build (and send) an issue now. Each request gets its own job, so a day that
 * was skipped can be built once papers arrive; the build itself never sends an issue twice.
 */
export async function requestBuild(ctx: DigestContext, key: IssueKey): Promise<Job> {
  return ctx.queues.enqueue('build-digest', key, { jobId: freshRound(`build-${key.cadence}-${key.date}-`) });
}

/**
 * Before the runs that send `added` new deliveries of `date`'s month: the month's statistics
 * refreshed if they do not know those rows (refreshMonthStatistics). Only a speed-up, so a
 * failure (a statement timeout, Postgres away) is logged and the deliveries are sent regardless.
 */
export async function refreshLedgerStatistics(
  ctx: DigestContext,
  date: IsoDate,
  added: number,
): Promise<void> {
  try {
    await refreshMonthStatistics(ctx.db, date, added);
  } catch (error) {
    ctx.logger.warn({ err: error, date }, 'could not analyze the month of the ledger; autovacuum will');
  }
}
