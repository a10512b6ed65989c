import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.ts';
import { derivedKey, normalisePapers } from './paper-import.ts';

describe('normalisePapers', () => {
  it('keeps the 44 dated flat papers and names the 2 undated ones', () => {
    const { papers, rejected } = normalisePapers(fixture('daily-papers.json'), 'UTC');
    expect(papers).toHaveLength(44);
    expect(rejected).toHaveLength(2);
    for (const record of rejected) {
      expect(record.reason).toMatch(/no date/);
      expect(record.title).toBeTruthy();
      expect(typeof record.index).toBe('number');
    }
    const first = papers[0]!;
    expect(first.external_id).toMatch(/^title:[0-9a-f]{24}$/);
    expect(first.featured_at).toEqual(new Date('2024-07-03T00:00:00Z'));
    expect(first.author_count).toBe(5);
  });

  it('maps Hugging Face daily_papers items', () => {
    const { papers, rejected } = normalisePapers(fixture('hf-daily-papers-sample.json'), 'UTC');
    expect(rejected).toEqual([]);
    expect(papers).toHaveLength(15);
    expect(papers[0]).toMatchObject({
      external_id: '0000.00001',
      upvotes: 97,
      featured_at: new Date('2026-05-22T06:10:00.000Z'),
      published_on: '2024-07-03',
      authors: ['Author 0.0', 'Author 0.1', 'Author 0.2', 'Author 0.3', 'Author 0.4'],
      ai_keywords: ['EEG', 'foundation model'],
      paper_url: 'https://huggingface.co/papers/0000.00001',
    });
  });

  it('dates a bare feature date at midnight in the digest time zone', () => {
    const { papers } = normalisePapers([{ title: 'T', publishedAt: '2026-05-22' }], 'Europe/Berlin');
    expect(papers[0]?.featured_at).toEqual(new Date('2026-05-21T22:00:00Z'));
  });

  it('reports unusable records by index and keeps the rest', () => {
    const { papers, rejected } = normalisePapers(
      [
        null,
        { summary: 'no title', publishedAt: '2026-05-22' },
        { title: 'Fine', publishedAt: '2026-05-22', upvotes: 3 },
        { title: 'Bad upvotes', publishedAt: '2026-05-22', upvotes: 'many' },
        { title: 'Bad date', publishedAt: 'someday' },
        { title: 'x'.repeat(1001), publishedAt: '2026-05-22' },
      ],
      'UTC',
    );
    expect(papers.map((paper) => paper.title)).toEqual(['Fine']);
    expect(rejected.map((record) => record.index)).toEqual([0, 1, 3, 4, 5]);
    expect(rejected[0]?.reason).toBe('not an object');
    expect(rejected[1]?.reason).toBe('no title');
    expect(rejected[2]?.reason).toMatch(/upvotes/);
    expect(rejected[4]?.reason).toMatch(/1000 characters/);
  });

  it('strips control characters from titles and keeps one record per key', () => {
    const { papers } = normalisePapers(
      [
        { title: 'Same\r\nTitle', publishedAt: '2026-05-22', upvotes: 1 },
        { title: 'same  title', publishedAt: '2026-05-22', upvotes: 9 },
      ],
      'UTC',
    );
    expect(papers).toHaveLength(1);
    expect(papers[0]).toMatchObject({ title: 'same title', upvotes: 9 });
    expect(derivedKey('Same Title!')).toBe(derivedKey('same title'));
    const [bidi] = normalisePapers(
      [
        {
          title: 'rlo \u202Eevil\u202Dtxt.exe \u2066x\u2069 شبكة',
          organization: 'Org \u202E',
          featuredAt: '2026-05-22',
        },
      ],
      'UTC',
    ).papers;
    expect(bidi).toMatchObject({ title: 'rlo eviltxt.exe x شبكة', organization: 'Org' });
  });

  it('refuses an id that is not well-formed Unicode, in either shape', () => {
    const { papers, rejected } = normalisePapers(
      [
        { title: 'Flat', id: 'ab\uD800', publishedAt: '2026-05-22' },
        { paper: { id: '\uDC00x', title: 'From the Hub' }, publishedAt: '2026-05-22' },
        { title: 'Fine', publishedAt: '2026-05-22' },
      ],
      'UTC',
    );
    expect(papers.map((paper) => paper.title)).toEqual(['Fine']);
    expect(rejected.map((record) => [record.index, record.reason])).toEqual([
      [0, expect.stringMatching(/well-formed Unicode/)],
      [1, expect.stringMatching(/well-formed Unicode/)],
    ]);
  });

  it('refuses anything but an array', () => {
    expect(() => normalisePapers({ papers: [] }, 'UTC')).toThrow(/JSON array/);
  });

  it('reports out-of-range numbers and dates by index and keeps the other records', () => {
    const ok = { title: 'Fine paper', publishedAt: '2026-05-22', upvotes: 3 };
    const { papers, rejected } = normalisePapers(
      [
        ok,
        { title: 'Too many upvotes', publishedAt: '2026-05-22', upvotes: 9_999_999_999 },
        { title: 'Far future', publishedAt: '+275760-09-13T00:00:00.000Z' },
        { title: 'Far future ms', featuredAt: 8.64e15 },
        {
          paper: {
            id: '1',
            title: 'HF far future',
            submittedOnDailyAt: '2026-05-22',
            publishedAt: '+275760-01-01T00:00:00Z',
          },
        },
        { paper: { id: '2', title: 'HF comments', submittedOnDailyAt: '2026-05-22' }, numComments: 3e10 },
      ],
      'UTC',
    );
    expect(papers.map((paper) => paper.title)).toEqual(['Fine paper']);
    expect(rejected.map((record) => record.index)).toEqual([1, 2, 3, 4, 5]);
    expect(rejected[0]?.reason).toMatch(/upvotes: .*2147483647/);
    expect(rejected[1]?.reason).toMatch(/publishedAt: a date between 1970 and 9999/);
    expect(rejected[3]?.reason).toMatch(/paper\.publishedAt/);
  });

  it('refuses impossible dates, ids with control characters and oversized fields, naming each', () => {
    const day = '2026-05-22';
    const { papers, rejected } = normalisePapers(
      [
        { title: 'February 30', featuredAt: '2026-02-30' },
        { title: 'A bare number', featuredAt: '1' },
        { title: 'Timestamp on February 30', featuredAt: '2026-02-30T08:00:00Z' },
        { title: 'Published on February 30', featuredAt: '2026-05-22', publishedAt: '2026-02-30' },
        { title: 'RFC 3339, lower case', featuredAt: '2026-05-22t08:00:00z' },
        { title: 'RFC 2822', featuredAt: 'Fri, 22 May 2026 08:00:00 GMT' },
        { title: 'NUL in the id', id: 'nul\u0000id', featuredAt: day },
        { paper: { id: 'x\u0007', title: 'Bell in the Hub id', submittedOnDailyAt: day } },
        {
          paper: {
            id: '3',
            title: 'Huge AI summary',
            submittedOnDailyAt: day,
            ai_summary: 'word '.repeat(2000),
          },
        },
        { title: 'Huge organisation', featuredAt: day, organization: 'o'.repeat(301) },
        {
          title: 'Many keywords',
          featuredAt: day,
          ai_keywords: Array.from({ length: 101 }, (_, i) => `k${i}`),
        },
        { title: 'Long link', featuredAt: day, codeUrl: `https://example.org/${'a'.repeat(2048)}` },
        {
          title: 'Many authors',
          featuredAt: '2026-05-22T09:30:00.000Z',
          authors: Array.from({ length: 150 }, (_, i) => `Author ${i}`),
        },
      ],
      'UTC',
    );
    expect(rejected.map((record) => [record.index, record.reason])).toEqual([
      [0, expect.stringMatching(/^no date that can be read/)],
      [1, expect.stringMatching(/^no date that can be read/)],
      [2, expect.stringMatching(/^no date that can be read/)],
      [6, 'id: contains a control character'],
      [7, 'paper.id: contains a control character'],
      [8, 'paper.ai_summary: longer than 5000 characters'],
      [9, expect.stringMatching(/^organization: /)],
      [10, 'ai_keywords: more than 100 keywords'],
      [11, 'codeUrl: longer than 2048 characters'],
    ]);
    const kept = new Map(papers.map((paper) => [paper.title, paper]));
    // An impossible publishing date is no date: the record stays, without one.
    expect(kept.get('Published on February 30')?.published_on).toBeNull();
    const eight = new Date('2026-05-22T08:00:00Z');
    expect(kept.get('RFC 3339, lower case')?.featured_at).toEqual(eight);
    expect(kept.get('RFC 2822')?.featured_at).toEqual(eight);
    expect(kept.get('Many authors')?.authors).toHaveLength(100);
    expect(kept.get('Many authors')).toMatchObject({
      author_count: 150,
      featured_at: new Date('2026-05-22T09:30:00.000Z'),
    });
  });
});
