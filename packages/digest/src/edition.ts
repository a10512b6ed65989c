import type { Issue, IssuePaper } from '@digest/db';
import { remember } from './remember.ts';

/** What a subscriber chose about the papers they get. */
export interface ReaderChoices {
  keywords: string[];
  /** Null: as many as the published issue has. */
  papersPerEmail: number | null;
  /** When no paper matches their keywords: the issue as published, or nothing. */
  topWhenNoMatch?: boolean;
}

/** True when the subscriber gets the issue as published: no keywords, and its own size. */
export function wantsPublishedIssue(issue: Pick<Issue, 'papers'>, choices: ReaderChoices): boolean {
  return (
    choices.keywords.length === 0 &&
    (choices.papersPerEmail === null || choices.papersPerEmail === issue.papers.length)
  );
}

/** Two subscribers with the same key get the same email. */
export function editionKey(choices: ReaderChoices): string {
  return JSON.stringify([choices.papersPerEmail, choices.keywords, choices.topWhenNoMatch === true]);
}

/**
 * The papers of one subscriber's edition: the period's papers in rank order (the issue's, then
 * the next ones), only those matching one of their keywords when they have any, and as many as
 * they asked for (the issue's size by default). Empty when no paper matches.
 */
export function editionPapers(
  issue: Pick<Issue, 'papers' | 'more_papers'>,
  choices: ReaderChoices,
): IssuePaper[] {
  const ranked = [...issue.papers, ...issue.more_papers];
  const patterns = choices.keywords.map(keywordPattern);
  const matching =
    patterns.length === 0
      ? ranked
      : ranked.filter((paper) => patterns.some((pattern) => matches(paper, pattern)));
  return matching.slice(0, choices.papersPerEmail ?? issue.papers.length);
}

/** Compiled keyword patterns: an issue's many editions ask for the same few keywords again. */
const patterns = new Map<string, RegExp>();
const PATTERNS_KEPT = 1000;

function keywordPattern(keyword: string): RegExp {
  return remember(patterns, keyword, patterns.get(keyword) ?? wholeWord(keyword), PATTERNS_KEPT);
}

/**
 * A keyword matches whole words only: "rl" finds "RL fine-tuning", not "world". No `g` flag:
 * `test` keeps no state between papers, so one pattern serves every edition.
 */
function wholeWord(keyword: string): RegExp {
  const escaped = keyword.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'iu');
}

function matches(paper: IssuePaper, pattern: RegExp): boolean {
  return (
    pattern.test(paper.title) ||
    pattern.test(paper.summary) ||
    paper.aiKeywords.some((keyword) => pattern.test(keyword))
  );
}
