import { AppError } from '@digest/core';
import {
  completeIssueIfDone,
  countDeliveriesByStatus,
  countFailuresByReason,
  countScheduledDeliveries,
  type DeliveryCounts,
  type FailureGroup,
  findIssue,
  type IssuePaper,
  type IssueStatus,
  nextDeliveryAttempt,
  nextIssueNumber,
  selectTrendingPapers,
} from '@digest/db';
import { escapeHtml, slotMarkers } from '@digest/email';
import { renderIssue, toIssuePaper } from './build.ts';
import { type DigestContext, type IssueKey, type IssueMail, issueMail } from './context.ts';
import { type CountsWithTotal, requireIssue, withTotal } from './ledger.ts';
import { issuePeriod } from './schedule.ts';

export interface IssueReport extends IssueKey {
  id: number;
  status: IssueStatus;
  /** The status as an operator reads it: never plain "sent" when some did not get it. */
  label: string;
  subject: string;
  createdAt: Date;
  completedAt: Date | null;
  papers: IssuePaper[];
  deliveries: CountsWithTotal;
  /** Failed and bounced deliveries, and those waiting for a retry, grouped by the reason. */
  failures: FailureGroup[];
  /** When the earliest delivery still waiting is due. */
  nextAttemptAt: Date | null;
  /** Queued deliveries waiting for their reader's morning (DIGEST_LOCAL_HOUR in their time zone). */
  scheduled: number;
}

/** An issue's papers and how its deliveries stand. */
export async function issueReport(ctx: Pick<DigestContext, 'db'>, key: IssueKey): Promise<IssueReport> {
  const issue = await requireIssue(ctx, key);
  const [counts, failures, nextAttemptAt, scheduled] = await Promise.all([
    countDeliveriesByStatus(ctx.db, issue.id),
    countFailuresByReason(ctx.db, issue.id),
    nextDeliveryAttempt(ctx.db, issue.id),
    countScheduledDeliveries(ctx.db, issue.id),
  ]);
  return {
    ...key,
    id: issue.id,
    status: issue.status,
    label: statusLabel(issue.status, counts),
    subject: issue.subject,
    createdAt: issue.created_at,
    completedAt: issue.completed_at,
    papers: issue.papers,
    deliveries: withTotal(counts),
    failures,
    nextAttemptAt: nextAttemptAt ?? null,
    scheduled,
  };
}

/** "sent", or "sent with 4 failed, 1 bounced": the status and what did not go out. */
export function statusLabel(status: IssueStatus, counts: DeliveryCounts): string {
  const missed = (['failed', 'bounced'] as const)
    .filter((state) => counts[state] > 0)
    .map((state) => `${counts[state]} ${state}`);
  return missed.length > 0 && status !== 'skipped' ? `${status} with ${missed.join(', ')}` : status;
}

/**
 * The report of an issue whose deliveries are all recorded. The worker marks the issue sent just
 * after recording its last batch; a reader polling in between completes it here, with the same
 * guarded update, rather than report it as still sending.
 */
export async function settledIssueReport(
  ctx: Pick<DigestContext, 'db'>,
  report: IssueReport,
): Promise<IssueReport> {
  if (report.status !== 'sending') return report;
  await completeIssueIfDone(ctx.db, report.id);
  return issueReport(ctx, report);
}

/**
 * The issue's HTML as subscribers see it (or would, if it has not been built yet), with
 * neutral links in place of the per-recipient ones. Nothing is stored.
 */
export async function previewIssue(
  ctx: DigestContext,
  key: IssueKey,
): Promise<{ subject: string; html: string; text: string }> {
  const issue = await findIssue(ctx.db, key.cadence, key.date);
  const mail = issue && issue.status !== 'skipped' ? issueMail(issue) : await previewFromPapers(ctx, key);
  return publicCopy(mail, `${ctx.settings.publicBaseUrl}/`);
}

async function previewFromPapers(ctx: DigestContext, key: IssueKey) {
  const papers = await selectTrendingPapers(ctx.db, {
    ...issuePeriod(key),
    timeZone: ctx.settings.timeZone,
    limit: ctx.settings.size,
  });
  if (papers.length === 0)
    throw new AppError('not_found', `No papers were featured for the ${key.cadence} issue of ${key.date}.`);
  // The number it would get if it were built now.
  return renderIssue(ctx, key, papers.map(toIssuePaper), await nextIssueNumber(ctx.db, key.cadence));
}

/**
 * Public copies (archive, preview) link to the signup page where mail has personal links. Only the
 * renderer's own markers are filled, so a paper's text or link is shown exactly as it was mailed.
 */
export function publicCopy(
  mail: IssueMail,
  siteUrl: string,
): { subject: string; html: string; text: string } {
  const markers = mail.slotNonce === null ? [] : Object.values(slotMarkers(mail.slotNonce));
  const fill = (content: string, url: string) =>
    markers.reduce((filled, marker) => filled.replaceAll(marker, url), content);
  return {
    subject: mail.subject,
    html: fill(mail.html, escapeHtml(siteUrl)),
    text: fill(mail.text, siteUrl),
  };
}
