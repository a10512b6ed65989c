import { AppError, isIsoDate } from '@digest/core';
import { findIssue, listArchive, neighbourIssues, searchArchive } from '@digest/db';
import type { DigestContext } from '@digest/digest';
import { cadenceSchema } from '@digest/subscribers';
import { Hono } from 'hono';
import { archiveFeed } from './feed.ts';
import { archivePage, issuePage, searchPage } from './pages.ts';

const PER_PAGE = 20;
const PAPERS_EACH = 3;
const FEED_ISSUES = 30;
const SEARCH_HITS = 50;
const MAX_PAGE = 10_000;

/** Past issues as web pages (not the email: no personal links), a search, and an RSS feed. */
export function archiveRoutes(ctx: DigestContext) {
  const baseUrl = ctx.settings.publicBaseUrl;
  return new Hono()
    .get('/archive', async (c) => {
      const query = (c.req.query('q') ?? '').trim().slice(0, 200);
      if (query) return c.html(searchPage(query, await searchArchive(ctx.db, query, SEARCH_HITS)));
      const pageNumber = Math.min(
        Math.max(1, Number.parseInt(c.req.query('page') ?? '1', 10) || 1),
        MAX_PAGE,
      );
      // One more than a page tells whether there is a next one.
      const entries = await listArchive(ctx.db, {
        limit: PER_PAGE + 1,
        offset: (pageNumber - 1) * PER_PAGE,
        papersEach: PAPERS_EACH,
      });
      return c.html(archivePage(entries.slice(0, PER_PAGE), pageNumber, entries.length > PER_PAGE));
    })
    .get('/archive.xml', async (c) => {
      const entries = await listArchive(ctx.db, { limit: FEED_ISSUES, offset: 0, papersEach: 50 });
      c.header('Content-Type', 'application/rss+xml; charset=utf-8');
      return c.body(archiveFeed(baseUrl, entries));
    })
    .get('/archive/:date', async (c) => {
      const date = c.req.param('date');
      const cadence = cadenceSchema.safeParse(c.req.query('cadence') ?? 'daily');
      if (!isIsoDate(date) || !cadence.success) throw new AppError('not_found', 'There is no such issue.');
      const issue = await findIssue(ctx.db, cadence.data, date);
      if (!issue || issue.status === 'skipped') {
        throw new AppError('not_found', `No ${cadence.data} issue was sent for ${date}.`);
      }
      const neighbours = await neighbourIssues(ctx.db, cadence.data, date);
      return c.html(issuePage(issue, { baseUrl, ...neighbours }));
    });
}
