import type { IssuePaper } from '@digest/core';

const LONG_SUMMARY =
  'We study how large language models can be trained to reason over long scientific documents. ' +
  'Our method combines retrieval, chain-of-thought supervision and a curriculum over document length, ' +
  'and improves accuracy on six benchmarks while halving inference cost. We release code, data and ' +
  'checkpoints, and analyse failure modes in detail, including citation hallucination, table ' +
  'misreading and arithmetic slips. Ablations show that each component matters, and that the ' +
  'curriculum is the most important one for documents longer than 32k tokens. ';

/** A long, realistic abstract (about 2,400 characters) for size tests. */
export const longSummary = LONG_SUMMARY.repeat(5).trim();

/** Builds an IssuePaper with plausible defaults; `n` varies ids, titles and upvotes. */
export function testPaper(n = 1, overrides: Partial<IssuePaper> = {}): IssuePaper {
  return {
    externalId: `2605.${String(10000 + n)}`,
    title: `Paper number ${n}: scaling laws for retrieval-augmented reasoning`,
    summary: `Summary of paper ${n}. ${LONG_SUMMARY}`,
    authors: ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Edsger Dijkstra'],
    authorCount: 4,
    organization: 'Example Lab',
    publishedOn: '2026-05-20',
    featuredAt: '2026-05-22T06:00:00.000Z',
    upvotes: 200 - n,
    numComments: 3,
    paperUrl: `https://huggingface.co/papers/2605.${String(10000 + n)}`,
    codeUrl: `https://github.com/example/paper-${n}`,
    aiSummary: null,
    aiKeywords: ['reasoning', 'retrieval', 'long context'],
    ...overrides,
  };
}

/** `count` papers in rank order. */
export function testPapers(count: number, overrides: Partial<IssuePaper> = {}): IssuePaper[] {
  return Array.from({ length: count }, (_, index) => testPaper(index + 1, overrides));
}
