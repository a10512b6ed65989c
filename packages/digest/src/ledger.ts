import { AppError } from '@digest/core';
import {
  countDeliveriesByIssue,
  countDeliveriesByStatus,
  countFailuresByReason,
  type DeliveryCounts,
  type DeliveryListing,
  type DeliverySearch,
  emptyCounts,
  type FailureGroup,
  findIssue,
  type Issue,
  type IssueSummary,
  listRecentIssues,
  MAX_PAPERS_PER_EMAIL,
  type Page,
  type Paper,
  searchDeliveries,
  selectTrendingPapers,
} from '@digest/db';
import type { DigestContext, IssueKey } from './context.ts';
import { issuePeriod } from './schedule.ts';

export type CountsWithTotal = DeliveryCounts & { total: number };

export interface IssueOverview extends IssueSummary {
  deliveries: CountsWithTotal;
}

export function withTotal(counts: DeliveryCounts): CountsWithTotal {
  return { ...counts, total: Object.values(counts).reduce((sum, count) => sum + count, 0) };
}

/**
 * The most recent issues, built or skipped, each with its deliveries by status: a sent issue's as
 * kept when it completed (settled_counts), the others' counted now. Listing settled issues reads
 * a row each rather than every delivery of each (at a million readers an issue, most of a second
 * apiece). A subscriber erased since, or a month dropped by retention, still counts in the kept
 * figures: the issue was sent to them.
 */
export async function listIssueOverviews(
  ctx: Pick<DigestContext, 'db'>,
  limit: number,
): Promise<IssueOverview[]> {
  const issues = await listRecentIssues(ctx.db, limit);
  const counted = await countDeliveriesByIssue(
    ctx.db,
    issues.filter((issue) => !issue.settled_counts).map((issue) => issue.id),
  );
  return issues.map(({ settled_counts: kept, ...issue }) => ({
    ...issue,
    deliveries: withTotal({ ...emptyCounts(), ...(kept ?? counted.get(issue.id)) }),
  }));
}

/** The stored issue of (cadence, date), or a not_found AppError. */
export async function requireIssue(ctx: Pick<DigestContext, 'db'>, key: IssueKey): Promise<Issue> {
  const issue = await findIssue(ctx.db, key.cadence, key.date);
  if (!issue) throw new AppError('not_found', `No ${key.cadence} issue exists for ${key.date}.`);
  return issue;
}

export interface IssueLedger {
  counts: CountsWithTotal;
  failures: FailureGroup[];
  deliveries: Page<DeliveryListing>;
}

/** How an issue's deliveries stand, what went wrong (failures by reason), and one page of them. */
export async function issueLedger(
  ctx: Pick<DigestContext, 'db'>,
  issueId: number,
  search: DeliverySearch,
): Promise<IssueLedger> {
  const [counts, failures, deliveries] = await Promise.all([
    countDeliveriesByStatus(ctx.db, issueId),
    countFailuresByReason(ctx.db, issueId),
    searchDeliveries(ctx.db, issueId, search),
  ]);
  return { counts: withTotal(counts), failures, deliveries };
}

export interface RankedPapers {
  /** The period's papers in the digest's order, as many as a personal edition may draw on. */
  papers: Paper[];
  /** How many of the first papers make up the issue as published. */
  issueSize: number;
}

/** The papers of the period of (cadence, date), ranked exactly as the digest ranks them. */
export async function rankedPapers(ctx: DigestContext, key: IssueKey): Promise<RankedPapers> {
  const papers = await selectTrendingPapers(ctx.db, {
    ...issuePeriod(key),
    timeZone: ctx.settings.timeZone,
    limit: MAX_PAPERS_PER_EMAIL,
  });
  return { papers, issueSize: Math.min(ctx.settings.size, papers.length) };
}
