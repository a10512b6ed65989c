import type { IssueSummary } from '@digest/db';
import { archiveUrl } from '@digest/digest';
import { escapeHtml } from '@digest/email';

/** RSS 2.0 of the published issues; escapeHtml covers XML's five special characters. */
export function archiveFeed(baseUrl: string, issues: IssueSummary[]): string {
  const items = issues.map((issue) => {
    const link = archiveUrl(baseUrl, { cadence: issue.cadence, date: issue.issue_date });
    return `    <item>
      <title>${escapeHtml(issue.subject)}</title>
      <link>${escapeHtml(link)}</link>
      <guid isPermaLink="true">${escapeHtml(link)}</guid>
      <pubDate>${issue.created_at.toUTCString()}</pubDate>
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
