import type { IssuePaper } from '@digest/db';
import { describe, expect, it } from 'vitest';
import { editionKey, editionPapers, wantsPublishedIssue } from './edition.ts';

function paper(title: string, extra: Partial<IssuePaper> = {}): IssuePaper {
  return {
    externalId: title,
    title,
    summary: '',
    authors: [],
    authorCount: null,
    organization: null,
    publishedOn: null,
    featuredAt: '2026-06-01T08:00:00.000Z',
    upvotes: 1,
    numComments: 0,
    paperUrl: null,
    codeUrl: null,
    aiSummary: null,
    aiKeywords: [],
    ...extra,
  };
}

const issue = {
  papers: [paper('Scaling RL fine-tuning'), paper('A world model'), paper('Vision transformers')],
  more_papers: [
    paper('Speech', { summary: 'Robust speech recognition' }),
    paper('More RL', { aiKeywords: ['GRPO'] }),
  ],
};
const titles = (papers: IssuePaper[]) => papers.map((candidate) => candidate.title);

describe('personal editions', () => {
  it('gives the published issue to a subscriber without keywords who keeps its size', () => {
    expect(wantsPublishedIssue(issue, { keywords: [], papersPerEmail: null })).toBe(true);
    expect(wantsPublishedIssue(issue, { keywords: [], papersPerEmail: 3 })).toBe(true);
    expect(wantsPublishedIssue(issue, { keywords: [], papersPerEmail: 2 })).toBe(false);
    expect(wantsPublishedIssue(issue, { keywords: ['rl'], papersPerEmail: null })).toBe(false);
  });

  it('takes the first papers in rank order, reaching past the issue for more', () => {
    expect(titles(editionPapers(issue, { keywords: [], papersPerEmail: 1 }))).toEqual([
      'Scaling RL fine-tuning',
    ]);
    expect(titles(editionPapers(issue, { keywords: [], papersPerEmail: 50 }))).toHaveLength(5);
  });

  it('keeps papers matching a keyword as a whole word in title, summary or AI keywords', () => {
    expect(titles(editionPapers(issue, { keywords: ['rl'], papersPerEmail: null }))).toEqual([
      'Scaling RL fine-tuning',
      'More RL',
    ]);
    expect(
      titles(editionPapers(issue, { keywords: ['speech recognition', 'grpo'], papersPerEmail: 1 })),
    ).toEqual(['Speech']);
    expect(editionPapers(issue, { keywords: ['quantum'], papersPerEmail: null })).toEqual([]);
    // Regular-expression syntax in a keyword is taken literally.
    expect(editionPapers(issue, { keywords: ['.*'], papersPerEmail: null })).toEqual([]);
  });

  it('looks past occurrences inside words for one standing alone, letters of any script counting', () => {
    const only = (title: string, keyword: string) =>
      titles(
        editionPapers(
          { papers: [paper(title)], more_papers: [] },
          { keywords: [keyword], papersPerEmail: null },
        ),
      );
    expect(only('WorldRL, then RL', 'rl')).toEqual(['WorldRL, then RL']);
    expect(only('xab ab ab', 'ab ab')).toEqual(['xab ab ab']);
    expect(only('Résumé writing', 'sum')).toEqual([]);
    expect(only('𝒜rl and Drl', 'rl')).toEqual([]);
    // A lone surrogate (stored before import refused them) is no letter, nor half of one.
    expect(only('1\uDC00a.', 'a')).toEqual(['1\uDC00a.']);
    expect(only('ÉCOLE (école)', 'école')).toEqual(['ÉCOLE (école)']);
  });

  it('keys editions by the choices that shape them', () => {
    expect(editionKey({ keywords: ['a', 'b'], papersPerEmail: 3 })).toBe(
      editionKey({ keywords: ['a', 'b'], papersPerEmail: 3 }),
    );
    expect(editionKey({ keywords: ['a,b'], papersPerEmail: 3 })).not.toBe(
      editionKey({ keywords: ['a', 'b'], papersPerEmail: 3 }),
    );
  });
});
