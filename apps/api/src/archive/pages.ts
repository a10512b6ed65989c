import type { ArchiveEntry, ArchiveHit, Issue } from '@digest/db';
import { archiveUrl } from '@digest/digest';
import { formatDate, viewPaper } from '@digest/email';
import { html } from 'hono/html';
import { paperCard, signupBox } from '../http/components.ts';
import { page } from '../http/layout.ts';

const issueLabel = (entry: Pick<ArchiveEntry, 'cadence' | 'issue_date'>) =>
  entry.cadence === 'weekly' ? `Week of ${formatDate(entry.issue_date)}` : formatDate(entry.issue_date);

function searchForm(query = '') {
  return html`<form class="search" method="get" action="/archive" role="search">
    <label class="sr-only" for="q">Search archived papers</label>
    <input id="q" name="q" type="search" maxlength="200" value="${query}" placeholder="Search papers, e.g. diffusion or brain" />
    <button type="submit">Search</button>
  </form>`;
}

/** The archive: issues newest first, each with its top papers, paged. */
export function archivePage(entries: ArchiveEntry[], pageNumber: number, hasMore: boolean) {
  const pageLink = (n: number) => (n === 1 ? '/archive' : `/archive?page=${n}`);
  return page(
    pageNumber === 1 ? 'Past issues' : `Past issues, page ${pageNumber}`,
    html`<h1>Past issues</h1>
      <p class="lead">Every issue as it was sent: the most upvoted papers of the day.</p>
      ${searchForm()}
      ${
        entries.length === 0
          ? html`<p>No issue here yet.</p>`
          : html`<ul class="issues">
              ${entries.map(
                (entry) => html`<li class="card issue">
                  <h2><a href="${archiveUrl('', { cadence: entry.cadence, date: entry.issue_date })}">${issueLabel(entry)}</a>${entry.cadence === 'weekly' ? ' (weekly)' : ''}</h2>
                  <ol>${entry.papers.map((paper) => html`<li>${viewPaper(paper).title}</li>`)}</ol>
                </li>`,
              )}
            </ul>`
      }
      <nav class="pager" aria-label="Pages">
        ${pageNumber > 1 ? html`<a href="${pageLink(pageNumber - 1)}" rel="prev">← Newer issues</a>` : html`<span></span>`}
        ${hasMore ? html`<a href="${pageLink(pageNumber + 1)}" rel="next">Older issues →</a>` : ''}
      </nav>
      ${signupBox()}`,
    {
      current: 'archive',
      description: 'Past issues of Daily Papers: the most upvoted research papers of each day.',
    },
  );
}

export function searchPage(query: string, hits: ArchiveHit[]) {
  return page(
    `Search: ${query}`,
    html`<h1>Search the archive</h1>
      ${searchForm(query)}
      <p role="status">${hits.length === 0 ? `No archived paper matches “${query}”.` : `${hits.length} ${hits.length === 1 ? 'paper matches' : 'papers match'} “${query}”.`}</p>
      <ul class="papers">
        ${hits.map((hit) =>
          paperCard(hit.paper, {
            clamp: true,
            note: html`In the issue of <a href="${archiveUrl('', { cadence: hit.cadence, date: hit.issue_date })}">${issueLabel(hit)}</a>`,
          }),
        )}
      </ul>
      ${signupBox()}`,
    { current: 'archive' },
  );
}

export interface IssuePageOptions {
  baseUrl: string;
  previous: string | undefined;
  next: string | undefined;
}

/** One issue as a web page: the papers, navigation, link previews, and no personal link at all. */
export function issuePage(issue: Issue, { baseUrl, previous, next }: IssuePageOptions) {
  const key = { cadence: issue.cadence, date: issue.issue_date };
  const canonical = archiveUrl(baseUrl, key);
  const title =
    issue.cadence === 'weekly'
      ? `Top papers, week of ${formatDate(issue.issue_date)}`
      : `Top papers of ${formatDate(issue.issue_date)}`;
  const top = issue.papers[0] ? viewPaper(issue.papers[0]) : undefined;
  const description = top
    ? `${issue.papers.length} most upvoted research papers, led by “${top.title}”.`
    : 'The most upvoted research papers of the day.';
  const head = html`<link rel="canonical" href="${canonical}" />
    <meta property="og:type" content="article" />
    <meta property="og:site_name" content="Daily Papers" />
    <meta property="og:title" content="${title}" />
    <meta property="og:description" content="${description}" />
    <meta property="og:url" content="${canonical}" />
    <meta name="twitter:card" content="summary" />
    <meta name="twitter:title" content="${title}" />
    <meta name="twitter:description" content="${description}" />`;
  const link = (date: string) => archiveUrl('', { cadence: issue.cadence, date });
  return page(
    title,
    html`<p class="muted"><a href="/archive">← All issues</a></p>
      <h1>${title}</h1>
      <p class="lead">${description}</p>
      <ol class="papers">${issue.papers.map((paper, index) => paperCard(paper, { rank: index + 1, heading: 'h2' }))}</ol>
      <nav class="pager" aria-label="Issues">
        ${previous ? html`<a href="${link(previous)}" rel="prev">← ${formatDate(previous)}</a>` : html`<span></span>`}
        ${next ? html`<a href="${link(next)}" rel="next">${formatDate(next)} →</a>` : ''}
      </nav>
      ${signupBox()}`,
    { head, description, current: 'archive' },
  );
}
