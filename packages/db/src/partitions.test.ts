import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import type { Db } from './client.ts';
import { queueDeliveriesForAudience, queueResend } from './deliveries.ts';
import { insertIssueOnce } from './issues.ts';
import {
  dropDeliveryPartitionsBefore,
  ensureDeliveryPartitions,
  listDeliveryPartitions,
} from './partitions.ts';
import { insertSubscriber } from './subscribers.ts';

let database: TestDatabase;

beforeEach(async () => {
  database = await createTestDatabase();
  for (const email of ['a@example.org', 'b@example.org']) {
    await insertSubscriber(database.db, { email, status: 'active', consent_source: 'import' });
  }
});

afterEach(() => database.drop());

// Far from the months the migration made (this one and the next), whenever the tests run.
async function issueOn(db: Db, issueDate: string, status: 'sending' | 'sent' = 'sending') {
  const { issue } = await insertIssueOnce(db, {
    cadence: 'daily',
    issueDate,
    status,
    subject: `Issue of ${issueDate}`,
    papers: [],
    morePapers: [],
    html: '<p>hi</p>',
    text: 'hi',
    slotNonce: null,
  });
  return issue;
}

/** Which partition holds each delivery, by issue date. */
async function partitionsOfRows(db: Db) {
  const { rows } = await sql<{ partition: string; issue_date: string; count: number }>`
    select tableoid::regclass::text as partition, issue_date, count(*)::int as count
    from deliveries group by 1, 2 order by 2
  `.execute(db);
  return rows;
}

describe('deliveries partitions', () => {
  it('stores each delivery in the partition of its issue month, and refuses a month without one', async () => {
    const { db } = database;
    const january = await issueOn(db, '2090-01-31');
    const february = await issueOn(db, '2090-02-01');
    expect(await ensureDeliveryPartitions(db, ['2090-01-31', '2090-02-01', '2090-02-14'])).toEqual([
      '2090-01-01',
      '2090-02-01',
    ]);
    expect(await queueDeliveriesForAudience(db, january.id, 'daily', 8)).toBe(2);
    expect(await queueDeliveriesForAudience(db, february.id, 'daily', 8)).toBe(2);
    // The same audience again: the original deliveries are unique per (issue, subscriber).
    expect(await queueDeliveriesForAudience(db, february.id, 'daily', 8)).toBe(0);
    // A resend is a row beside the first, in the same month.
    await db.updateTable('deliveries').set({ status: 'sent' }).execute();
    expect(await queueResend(db, february, { mode: 'all' })).toHaveLength(2);

    expect(await partitionsOfRows(db)).toEqual([
      { partition: 'deliveries_2090_01', issue_date: '2090-01-31', count: 2 },
      { partition: 'deliveries_2090_02', issue_date: '2090-02-01', count: 4 },
    ]);

    const march = await issueOn(db, '2090-03-01');
    await expect(queueDeliveriesForAudience(db, march.id, 'daily', 8)).rejects.toThrow(/no partition/);
  });

  it('creates a month once when several processes ask at the same time', async () => {
    const { db } = database;
    const asked = await Promise.all(
      Array.from({ length: 4 }, () => ensureDeliveryPartitions(db, ['2090-05-10', '2090-06-01'])),
    );
    expect(asked.flat().sort()).toEqual(['2090-05-01', '2090-06-01']);
    expect(await ensureDeliveryPartitions(db, ['2090-05-31'])).toEqual([]);
    expect(await listDeliveryPartitions(db)).toEqual(expect.arrayContaining(['2090-05-01', '2090-06-01']));
  });

  it('drops the months before the one given, except a month whose issue is still being sent', async () => {
    const { db } = database;
    const sending = await issueOn(db, '2089-11-20');
    const sent = await issueOn(db, '2089-12-01', 'sent');
    await ensureDeliveryPartitions(db, ['2089-11-20', '2089-12-01', '2090-01-01', '2090-02-01']);
    await queueDeliveriesForAudience(db, sending.id, 'daily', 8);
    await queueDeliveriesForAudience(db, sent.id, 'daily', 8);

    expect(await dropDeliveryPartitionsBefore(db, '2090-01-01')).toEqual(
      expect.arrayContaining(['2089-12-01']),
    );
    const left = await listDeliveryPartitions(db);
    expect(left).toEqual(expect.arrayContaining(['2089-11-01', '2090-01-01', '2090-02-01']));
    expect(left).not.toContain('2089-12-01');
    // The issue stays, without its deliveries; the sending issue keeps its own.
    expect(await db.selectFrom('issues').select('id').where('id', '=', sent.id).execute()).toHaveLength(1);
    expect(await partitionsOfRows(db)).toEqual([
      { partition: 'deliveries_2089_11', issue_date: '2089-11-20', count: 2 },
    ]);
    expect(await dropDeliveryPartitionsBefore(db, '2090-01-01')).toEqual([]);
  });
});
