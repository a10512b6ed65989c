import {
  completeIssueIfDone,
  findSubscriberByEmail,
  insertSubscriber,
  reopenIssuesWithWork,
  upsertPapers,
} from '@digest/db';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, openHarness } from '../../../test/support/harness.ts';
import { buildIssue } from './build.ts';
import { issueLedger, listIssueOverviews, rankedPapers } from './ledger.ts';
import { reconcile } from './reconcile.ts';
import { resendIssue } from './resend.ts';

let harness: Harness;

beforeEach(async () => {
  harness = await openHarness({ DIGEST_SIZE: '2' });
});

afterEach(() => harness.close());

const KEY = { cadence: 'daily' as const, date: '2026-06-01' };

/** An issue of `emails`, with the failures given as address → last error. */
async function issueWith(emails: string[], failures: Record<string, string> = {}) {
  const { db, digest } = harness.resources;
  await upsertPapers(
    db,
    [5, 50, 20].map((upvotes) => ({
      external_id: `p${upvotes}`,
      title: `Paper ${upvotes}`,
      upvotes,
      featured_at: new Date('2026-06-01T08:00:00Z'),
    })),
  );
  for (const email of emails)
    await insertSubscriber(db, { email, status: 'active', consent_source: 'import' });
  const { issue } = await buildIssue(digest, KEY);
  for (const [email, error] of Object.entries(failures)) {
    const subscriber = await findSubscriberByEmail(db, email);
    await db
      .updateTable('deliveries')
      .set({ status: 'failed', last_error: error })
      .where('subscriber_id', '=', subscriber!.id)
      .execute();
  }
  return issue;
}

describe('issueLedger', () => {
  it('groups failures by reason and pages deliveries by address, filtered by status and prefix', async () => {
    const emails = [
      'Amy@example.org',
      'amos@example.org',
      'bea@example.org',
      'ben@example.org',
      'cy@example.org',
    ];
    const issue = await issueWith(emails, {
      'amos@example.org': '550 no such user',
      'ben@example.org': '550 no such user',
      'cy@example.org': '552 mailbox full',
    });
    const ctx = harness.resources.digest;

    const first = await issueLedger(ctx, issue.id, { limit: 2 });
    expect(first.counts).toMatchObject({ queued: 2, failed: 3, total: 5 });
    expect(first.failures).toEqual([
      { status: 'failed', reason: '550 no such user', count: 2 },
      { status: 'failed', reason: '552 mailbox full', count: 1 },
    ]);
    expect(first.deliveries.items.map((row) => row.email)).toEqual(['amos@example.org', 'Amy@example.org']);
    expect(first.deliveries.next).toMatch(/^amy@example\.org \d+$/);

    const second = await issueLedger(ctx, issue.id, { limit: 2, after: first.deliveries.next });
    expect(second.deliveries.items.map((row) => row.email)).toEqual(['bea@example.org', 'ben@example.org']);
    const last = await issueLedger(ctx, issue.id, { limit: 2, after: second.deliveries.next });
    expect(last.deliveries).toEqual({ items: [expect.objectContaining({ email: 'cy@example.org' })] });

    const failedA = await issueLedger(ctx, issue.id, { limit: 10, status: 'failed', emailPrefix: 'AM' });
    expect(failedA.deliveries.items.map((row) => row.email)).toEqual(['amos@example.org']);
    // LIKE wildcards in the prefix are taken literally.
    expect((await issueLedger(ctx, issue.id, { limit: 10, emailPrefix: '%' })).deliveries.items).toEqual([]);
  });
});

describe('listIssueOverviews and rankedPapers', () => {
  it('counts each issue by status and ranks the papers as the issue did', async () => {
    await issueWith(['a@example.org', 'b@example.org'], { 'b@example.org': '550 gone' });
    const [overview] = await listIssueOverviews(harness.resources.digest, 10);
    expect(overview).toMatchObject({ issue_date: KEY.date, deliveries: { queued: 1, failed: 1, total: 2 } });

    const ranked = await rankedPapers(harness.resources.digest, KEY);
    expect(ranked.papers.map((paper) => paper.upvotes)).toEqual([50, 20, 5]);
    expect(ranked.issueSize).toBe(2);
  });
});

describe('listIssueOverviews of sent issues', () => {
  it('reads the counts the issue was completed with, until it is sent to again', async () => {
    const { db, digest } = harness.resources;
    const issue = await issueWith(['a@example.org', 'b@example.org', 'c@example.org'], {
      'c@example.org': '550 gone',
    });
    const deliveries = () => db.updateTable('deliveries').where('issue_id', '=', issue.id);
    const listed = async () => (await listIssueOverviews(digest, 10))[0]?.deliveries;
    await deliveries().set({ status: 'sent' }).where('status', '=', 'queued').execute();
    expect(await completeIssueIfDone(db, issue.id)).toBe(true);
    expect(await listed()).toMatchObject({ sent: 2, failed: 1, total: 3 });

    // Kept: what the ledger says now is not counted again while the issue stays sent.
    await deliveries().set({ status: 'bounced' }).where('status', '=', 'failed').execute();
    expect(await listed()).toMatchObject({ sent: 2, failed: 1, bounced: 0, total: 3 });

    // A resend reopens the issue: counted live, then kept again as it completes.
    await resendIssue(digest, { ...KEY, emails: ['a@example.org'] });
    expect(await listed()).toMatchObject({ sent: 2, bounced: 1, queued: 1, total: 4 });
    await deliveries().set({ status: 'sent' }).where('status', '=', 'queued').execute();
    expect(await completeIssueIfDone(db, issue.id)).toBe(true);
    expect(await listed()).toMatchObject({ sent: 3, bounced: 1, queued: 0, total: 4 });

    // Work that reached a sent issue behind its completion: the reconciler reopens it.
    await deliveries().set({ status: 'queued' }).where('status', '=', 'bounced').execute();
    expect(await listed()).toMatchObject({ sent: 3, bounced: 1, queued: 0 });
    expect(await reopenIssuesWithWork(db)).toEqual([issue.id]);
    expect(await listed()).toMatchObject({ sent: 3, bounced: 0, queued: 1, total: 4 });
  });

  it('counts an issue sent before counts were kept, once, in a reconciler pass', async () => {
    const { db, digest } = harness.resources;
    const issue = await issueWith(['a@example.org', 'b@example.org']);
    await db.updateTable('deliveries').set({ status: 'sent' }).where('issue_id', '=', issue.id).execute();
    // As completed before the migration: sent, nothing kept.
    await db
      .updateTable('issues')
      .set({ status: 'sent', settled_counts: null })
      .where('id', '=', issue.id)
      .execute();
    expect(await listIssueOverviews(digest, 10)).toMatchObject([{ deliveries: { sent: 2, total: 2 } }]);

    expect(await reconcile(digest)).toMatchObject({ counted: issue.id });
    expect((await reconcile(digest)).counted).toBeUndefined();
    const [kept] = await db
      .selectFrom('issues')
      .select('settled_counts')
      .where('id', '=', issue.id)
      .execute();
    expect(kept?.settled_counts).toEqual({ sent: 2 });
  });
});
