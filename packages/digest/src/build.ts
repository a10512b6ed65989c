import {
  completeIssueIfDone,
  ensureDeliveryPartitions,
  findIssue,
  type Issue,
  type IssuePaper,
  insertIssueOnce,
  limitTransaction,
  MAX_PAPERS_PER_EMAIL,
  type Paper,
  queueDeliveriesForAudience,
  recentlyPublishedPaperIds,
  selectTrendingPapers,
  setIssueMail,
  takeIssueNumber,
} from '@digest/db';
import {
  type DigestShell,
  digestEdition,
  joinParts,
  RENDER_TIMEOUT_MS,
  renderDigestShell,
} from '@digest/email';
import { archiveUrl, type DigestContext, type IssueKey } from './context.ts';
import { enqueueDueRuns, enqueueSendRuns, refreshLedgerStatistics } from './dispatch.ts';
import { issuePeriod } from './schedule.ts';

export interface BuildOutcome {
  issue: Issue;
  /** False when the issue existed already: nothing was rendered or queued again. */
  created: boolean;
  deliveriesQueued: number;
  /** Send runs handed to the queue; the reconciler adds more for anything left due. */
  runsEnqueued: number;
}

/**
 * Builds the issue of (cadence, date) at most once: picks the most upvoted papers of the period,
 * renders the mail once, and in one transaction stores the issue with one delivery per active
 * subscriber. Then hands the deliveries to the send queue. Calling it again only re-enqueues
 * deliveries still waiting (recovery after a crash); an issue already sent sends nothing.
 */
export async function buildIssue(ctx: DigestContext, key: IssueKey): Promise<BuildOutcome> {
  const existing = await findIssue(ctx.db, key.cadence, key.date);
  if (existing && existing.status !== 'skipped') return resumeIssue(ctx, existing);

  const [trending, alreadySent] = await Promise.all([
    selectTrendingPapers(ctx.db, {
      ...issuePeriod(key),
      timeZone: ctx.settings.timeZone,
      // DIGEST_SIZE is at most this: the issue's papers, then the next ones for personal editions.
      limit: MAX_PAPERS_PER_EMAIL,
    }),
    recentlyPublishedPaperIds(ctx.db, key.cadence, key.date),
  ]);
  // Never a wasted email: a paper featured again is not sent again to the cadence's readers.
  const ranked = trending.filter((paper) => !alreadySent.has(paper.external_id));
  const papers = ranked.slice(0, ctx.settings.size).map(toIssuePaper);
  const morePapers = ranked.slice(ctx.settings.size).map(toIssuePaper);
  const { issue, created, deliveriesQueued } =
    papers.length === 0
      ? await storeSkippedIssue(ctx, key, morePapers)
      : await storeIssueWithAudience(ctx, key, papers, morePapers);
  if (!created) return resumeIssue(ctx, issue);

  // Nobody to send to: the issue is done now.
  if (issue.status === 'sending' && deliveriesQueued === 0) await completeIssueIfDone(ctx.db, issue.id);
  // Before the first outcome is written: the month's statistics must know its rows.
  if (deliveriesQueued > 0) await refreshLedgerStatistics(ctx, key.date, deliveriesQueued);
  const runsEnqueued =
    issue.status === 'sending' && deliveriesQueued > 0
      ? await enqueueSendRuns(ctx, issue.id, deliveriesQueued, 'build')
      : 0;
  ctx.logger.info(
    {
      issueId: issue.id,
      ...key,
      status: issue.status,
      papers: papers.length,
      deliveriesQueued,
      runsEnqueued,
    },
    'issue built',
  );
  return { issue, created, deliveriesQueued, runsEnqueued };
}

interface StoredIssue {
  issue: Issue;
  /** False when the issue existed already. */
  created: boolean;
  deliveriesQueued: number;
}

/** Records that the period had no papers: nothing to render, nobody to send to. */
async function storeSkippedIssue(
  ctx: DigestContext,
  key: IssueKey,
  morePapers: IssuePaper[],
): Promise<StoredIssue> {
  const stored = await insertIssueOnce(ctx.db, {
    ...key,
    issueDate: key.date,
    status: 'skipped',
    subject: 'No papers for this period',
    papers: [],
    morePapers,
    html: '',
    text: '',
    slotNonce: null,
  });
  return { ...stored, deliveriesQueued: 0 };
}

/**
 * Stores the issue with one delivery per active subscriber, in one transaction. MJML renders in a
 * process of its own meanwhile, so the audience is queued while the mail renders: the row is
 * inserted without its mail, which is filled in before the commit (no one ever sees it empty).
 * A render that fails rolls it all back. The issue takes the cadence's next number, which no
 * other build can read until this one commits.
 */
async function storeIssueWithAudience(
  ctx: DigestContext,
  key: IssueKey,
  papers: IssuePaper[],
  morePapers: IssuePaper[],
): Promise<StoredIssue> {
  // The ledger's month for this date, made before the transaction that fills it (see ensureDeliveryPartitions).
  await ensureDeliveryPartitions(ctx.db, [key.date]);
  return ctx.db.transaction().execute(async (trx) => {
    // The render has a time limit of its own; this one frees the rows and locks should the
    // worker itself stall while the transaction waits for the mail.
    await limitTransaction(trx, 'idle_in_transaction_session_timeout', RENDER_TIMEOUT_MS + 30_000);
    const rendering = renderIssue(ctx, key, papers, await takeIssueNumber(trx, key.cadence));
    // Awaited below; this only keeps a failure that comes sooner from going unhandled.
    rendering.catch(() => {});
    const stored = await insertIssueOnce(trx, {
      ...key,
      issueDate: key.date,
      status: 'sending',
      subject: '',
      papers,
      morePapers,
      html: '',
      text: '',
      slotNonce: null,
    });
    if (!stored.created) return { ...stored, deliveriesQueued: 0 };
    const deliveriesQueued = await queueDeliveriesForAudience(
      trx,
      stored.issue.id,
      key.cadence,
      ctx.settings.localHour,
    );
    const issue = await setIssueMail(trx, stored.issue.id, await rendering);
    return { issue, created: true, deliveriesQueued };
  });
}

/**
 * An issue built before is never rendered or sent again: deliveries still due (a crash between
 * commit and enqueue, runs lost with Redis) get send runs, as the reconciler would give them.
 */
async function resumeIssue(ctx: DigestContext, issue: Issue): Promise<BuildOutcome> {
  const runsEnqueued = issue.status === 'sending' ? await enqueueDueRuns(ctx, issue.id, 'resume') : 0;
  if (issue.status === 'sending' && runsEnqueued === 0) await completeIssueIfDone(ctx.db, issue.id);
  ctx.logger.info({ issueId: issue.id, status: issue.status, runsEnqueued }, 'issue exists');
  return { issue, created: false, deliveriesQueued: 0, runsEnqueued };
}

/**
 * The shell of the issue's mail, rendered by MJML: the issue and each personal edition of it are
 * filled into it (`issueEdition`). Without a number (an issue from before they were given), the
 * mail shows none, as it did then.
 */
export function renderIssueShell(
  ctx: DigestContext,
  key: IssueKey,
  issueNumber: number | undefined,
): Promise<DigestShell> {
  return renderDigestShell({
    cadence: key.cadence,
    issueDate: key.date,
    archiveUrl: archiveUrl(ctx.settings.publicBaseUrl, key),
    siteUrl: `${ctx.settings.publicBaseUrl}/`,
    issueNumber,
    postalAddress: ctx.settings.postalAddress,
    thumbnails: ctx.settings.thumbnails,
  });
}

/**
 * The issue's mail for `papers` (picked by `keywords`, for a personal edition), with
 * per-recipient placeholders still in place.
 */
export function issueEdition(shell: DigestShell, papers: IssuePaper[], keywords: string[] = []) {
  return { ...digestEdition(shell, { papers, keywords }), papers };
}

/** Renders the issue's mail for `papers`: a shell of its own, for one mail. */
export async function renderIssue(
  ctx: DigestContext,
  key: IssueKey,
  papers: IssuePaper[],
  issueNumber: number,
) {
  const shell = await renderIssueShell(ctx, key, issueNumber);
  const mail = issueEdition(shell, papers);
  return { ...mail, html: joinParts(mail.html), issueNumber: shell.props.issueNumber };
}

export function toIssuePaper(paper: Paper): IssuePaper {
  return {
    externalId: paper.external_id,
    title: paper.title,
    summary: paper.summary,
    authors: paper.authors,
    authorCount: paper.author_count,
    organization: paper.organization,
    publishedOn: paper.published_on,
    featuredAt: paper.featured_at.toISOString(),
    upvotes: paper.upvotes,
    numComments: paper.num_comments,
    paperUrl: paper.paper_url,
    codeUrl: paper.code_url,
    aiSummary: paper.ai_summary,
    aiKeywords: paper.ai_keywords,
  };
}
