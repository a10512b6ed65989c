import { type IssuePaper, oneLine } from '@digest/core';
import { leadSentences, safeHttpUrl, truncate } from './format.ts';

// Bounds per paper, so even 50 hostile or verbose papers stay far below Gmail's 102 KB clip.
const MAX_TITLE = 300;
const MAX_SUMMARY = 400;
const MAX_AI_SUMMARY = 600;
const MAX_AUTHOR = 80;
const MAX_ORGANIZATION = 100;
const MAX_KEYWORDS = 6;
const MAX_KEYWORD = 40;

/**
 * A paper as readers see it, in the mail and on the site: plain (unescaped) strings and links
 * that are safe to put in an href.
 */
export interface PaperView {
  title: string;
  paperUrl: string | null;
  codeUrl: string | null;
  upvotes: number;
  comments: number;
  /** Organisation, else the first authors, else "N authors". */
  byline: string | null;
  summary: string | null;
  keywords: string[];
}

/** "Organisation or authors or N authors": what the Daily Papers page itself shows. */
function byline(paper: IssuePaper): string | null {
  const organization = paper.organization ? truncate(oneLine(paper.organization), MAX_ORGANIZATION) : '';
  if (organization) return organization;
  const names = paper.authors.map((name) => truncate(oneLine(name), MAX_AUTHOR)).filter(Boolean);
  if (names.length > 3) return `${names.slice(0, 3).join(', ')} et al.`;
  if (names.length > 0) return names.join(', ');
  if (paper.authorCount && paper.authorCount > 0) {
    return paper.authorCount === 1 ? '1 author' : `${paper.authorCount} authors`;
  }
  return null;
}

export function viewPaper(paper: IssuePaper): PaperView {
  const aiSummary = oneLine(paper.aiSummary ?? '');
  const summary = aiSummary
    ? truncate(aiSummary, MAX_AI_SUMMARY)
    : leadSentences(oneLine(paper.summary), MAX_SUMMARY);
  return {
    title: truncate(oneLine(paper.title), MAX_TITLE),
    paperUrl: safeHttpUrl(paper.paperUrl),
    codeUrl: safeHttpUrl(paper.codeUrl),
    upvotes: paper.upvotes,
    comments: paper.numComments,
    byline: byline(paper),
    summary: summary || null,
    keywords: paper.aiKeywords
      .map((keyword) => truncate(oneLine(keyword), MAX_KEYWORD))
      .filter(Boolean)
      .slice(0, MAX_KEYWORDS),
  };
}

/** `3 upvotes · 1 comment`, with the plural the numbers need. */
export function paperStats(paper: Pick<PaperView, 'upvotes' | 'comments'>): string {
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const parts = [count(paper.upvotes, 'upvote')];
  if (paper.comments > 0) parts.push(count(paper.comments, 'comment'));
  return parts.join(' · ');
}
