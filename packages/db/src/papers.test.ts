import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { countPapers, selectTrendingPapers, upsertPapers } from './papers.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await upsertPapers(database.db, [
    { external_id: 'a', title: 'A', featured_at: new Date('2026-05-22T06:00:00Z'), upvotes: 5 },
    { external_id: 'b', title: 'B', featured_at: new Date('2026-05-22T07:00:00Z'), upvotes: 50 },
    { external_id: 'c', title: 'C', featured_at: new Date('2026-05-22T23:30:00Z'), upvotes: 99 },
    { external_id: 'd', title: 'D', featured_at: new Date('2026-05-21T23:30:00Z'), upvotes: 70 },
    { external_id: 'e', title: 'E', featured_at: new Date('2026-05-18T12:00:00Z'), upvotes: 1 },
  ]);
});

afterAll(() => database.drop());

const titles = (papers: { title: string }[]) => papers.map((paper) => paper.title);

describe('papers', () => {
  it('upserts by external id: upvotes change, nothing duplicates', async () => {
    const counts = await upsertPapers(database.db, [
      { external_id: 'a', title: 'A', featured_at: new Date('2026-05-22T06:00:00Z'), upvotes: 6 },
      { external_id: 'z', title: 'Z', featured_at: new Date('2026-01-01T00:00:00Z'), upvotes: 0 },
    ]);
    expect(counts).toEqual({ inserted: 1, updated: 1 });
    expect(await countPapers(database.db)).toBe(6);
    await database.db.deleteFrom('papers').where('external_id', '=', 'z').execute();
  });

  it('picks the most upvoted papers featured on the day, in the digest time zone', async () => {
    const utc = await selectTrendingPapers(database.db, {
      from: '2026-05-22',
      to: '2026-05-22',
      timeZone: 'UTC',
      limit: 10,
    });
    expect(titles(utc)).toEqual(['C', 'B', 'A']);

    // 23:30 UTC on the 21st is already the 22nd in Berlin; 23:30 UTC on the 22nd is the 23rd.
    const berlin = await selectTrendingPapers(database.db, {
      from: '2026-05-22',
      to: '2026-05-22',
      timeZone: 'Europe/Berlin',
      limit: 10,
    });
    expect(titles(berlin)).toEqual(['D', 'B', 'A']);
  });

  it('honours the limit and covers a whole week', async () => {
    const top = await selectTrendingPapers(database.db, {
      from: '2026-05-22',
      to: '2026-05-22',
      timeZone: 'UTC',
      limit: 2,
    });
    expect(titles(top)).toEqual(['C', 'B']);
    const week = await selectTrendingPapers(database.db, {
      from: '2026-05-16',
      to: '2026-05-22',
      timeZone: 'UTC',
      limit: 10,
    });
    expect(titles(week)).toEqual(['C', 'D', 'B', 'A', 'E']);
  });
});
