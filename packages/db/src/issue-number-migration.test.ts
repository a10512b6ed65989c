import { afterEach, beforeEach, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { insertIssueOnce } from './issues.ts';
import * as issueNumber from './migrations/2026-12-03T11-30_issue-number.ts';

let database: TestDatabase;

beforeEach(async () => {
  database = await createTestDatabase();
});

afterEach(() => database.drop());

it('gives issues built before it the number their mail printed', async () => {
  const { db } = database;
  await issueNumber.down(db);
  const texts = {
    '2026-06-01': 'Daily Papers · Monday, 1 June 2026 · Issue 7\n\nDaily Papers — 1 June 2026\n\nIssue 99',
    '2026-06-02': 'Daily Papers · Tuesday, 2 June 2026\n\nIssue 12 of a paper title',
  };
  for (const [issueDate, text] of Object.entries(texts)) {
    await insertIssueOnce(db, {
      cadence: 'daily',
      issueDate,
      status: 'sent',
      subject: 'S',
      papers: [],
      morePapers: [],
      html: '',
      text,
      slotNonce: null,
    });
  }
  await issueNumber.up(db);
  const rows = await db
    .selectFrom('issues')
    .select(['issue_date', 'issue_number'])
    .orderBy('issue_date')
    .execute();
  expect(rows).toEqual([
    { issue_date: '2026-06-01', issue_number: 7 },
    { issue_date: '2026-06-02', issue_number: null },
  ]);
});
