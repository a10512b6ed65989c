import { AppError, isIsoDate } from '@digest/core';
import { findIssue, listPublishedIssues } from '@digest/db';
import { archiveUrl, type DigestContext, issueMail, publicCopy } from '@digest/digest';
import { cadenceSchema } from '@digest/subscribers';
import { Hono } from 'hono';
import { html } from 'hono/html';
import { page } from '../http/layout.ts';
import { archiveFeed } from './feed.ts';

const LISTED = 60;

/** Past issues as web pages, exactly as they were sent, and as an RSS feed. */
export function archiveRoutes(ctx: DigestContext) {
  const baseUrl = ctx.settings.publicBaseUrl;
  return new Hono()
    .get('/archive', async (c) => {
      const issues = await listPublishedIssues(ctx.db, LISTED);
      return c.html(
        page(
          'Archive',
          html`<h1>Past issues</h1>
            ${
              issues.length === 0
                ? html`<p>No issue has been sent yet.</p>`
                : html`<ul>
                    ${issues.map(
                      (issue) =>
                        html`<li><a href="${archiveUrl('', { cadence: issue.cadence, date: issue.issue_date })}">${issue.issue_date}</a> ${
                          issue.cadence === 'weekly' ? '(weekly) ' : ''
                        }— ${issue.subject}</li>`,
                    )}
                  </ul>`
            }
            <p class="hint"><a href="/archive.xml">RSS feed</a> · <a href="/">Subscribe</a></p>`,
        ),
      );
    })
    .get('/archive.xml', async (c) => {
      const issues = await listPublishedIssues(ctx.db, LISTED);
      c.header('Content-Type', 'application/rss+xml; charset=utf-8');
      return c.body(archiveFeed(baseUrl, issues));
    })
    .get('/archive/:date', async (c) => {
      const date = c.req.param('date');
      const cadence = cadenceSchema.safeParse(c.req.query('cadence') ?? 'daily');
      if (!isIsoDate(date) || !cadence.success) throw new AppError('not_found', 'There is no such issue.');
      const issue = await findIssue(ctx.db, cadence.data, date);
      if (!issue || issue.status === 'skipped') {
        throw new AppError('not_found', `No ${cadence.data} issue was sent for ${date}.`);
      }
      return c.html(publicCopy(issueMail(issue), `${baseUrl}/`).html);
    });
}
