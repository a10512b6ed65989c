import type { ArchiveEntry } from '@digest/db';
import { archiveUrl } from '@digest/digest';
import { escapeHtml, paperStats, viewPaper } from '@digest/email';

/** One item's description: its papers as an HTML list (escaped once more for XML). */
function describe(entry: ArchiveEntry): string {
  const items = entry.papers.map((paper) => {
    const view = viewPaper(paper);
    const title = view.paperUrl
      ? `<a href="${escapeHtml(view.paperUrl)}">${escapeHtml(view.title)}</a>`
      : escapeHtml(view.title);
    const meta = escapeHtml([view.byline, paperStats(view)].filter(Boolean).join(' · '));
    return `<li>${title}<br/>${meta}</li>`;
  });
  return `<ol>${items.join('')}</ol>`;
}

/** RSS 2.0, one item per published issue listing its papers; escapeHtml covers XML's five special characters. */
export function archiveFeed(baseUrl: string, entries: ArchiveEntry[]): string {
  const items = entries.map((entry) => {
    const link = archiveUrl(baseUrl, { cadence: entry.cadence, date: entry.issue_date });
    return `    <item>
      <title>${escapeHtml(entry.subject)}</title>
      <link>${escapeHtml(link)}</link>
      <guid isPermaLink="true">${escapeHtml(link)}</guid>
      <pubDate>${entry.created_at.toUTCString()}</pubDate>
      <description>${escapeHtml(describe(entry))}</description>
    </item>`;
  });
  return `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
  <channel>
    <title>Daily Papers</title>
    <link>${escapeHtml(`${baseUrl}/archive`)}</link>
    <description>The most upvoted research papers of the day.</description>
${items.join('\n')}
  </channel>
</rss>
`;
}
