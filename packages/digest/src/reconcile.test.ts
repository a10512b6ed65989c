import {
  claimDueDeliveries,
  insertOutboxMail,
  insertSubscriber,
  listDeliveryPartitions,
  upsertPapers,
} from '@digest/db';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, openHarness } from '../../../test/support/harness.ts';
import { eventually } from '../../../test/support/processes.ts';
import { buildIssue } from './build.ts';
import { issueLedger } from './ledger.ts';
import { RECONCILE_INTERVAL_MS, reconcile } from './reconcile.ts';
import { issueReport } from './report.ts';
import { resendIssue } from './resend.ts';

let harness: Harness;

beforeEach(async () => {
  harness = await openHarness();
  await upsertPapers(harness.resources.db, [
    { external_id: 'p1', title: 'A paper', featured_at: new Date('2026-06-01T08:00:00Z'), upvotes: 3 },
  ]);
  for (const email of ['a@example.org', 'b@example.org']) {
    await insertSubscriber(harness.resources.db, { email, status: 'active', consent_source: 'import' });
  }
});

afterEach(() => harness.close());

/** What Redis holds of the send and mail queues: the ids of waiting jobs. */
async function waitingJobIds() {
  const { queues } = harness.resources;
  const jobs = [
    ...(await queues.queueOf('send-issue').getJobs(['waiting'])),
    ...(await queues.queueOf('send-mail').getJobs(['waiting'])),
  ];
  return jobs.map((job) => String(job.id)).sort();
}

/** Redis losing all its data, as far as this test's queues go. */
async function loseRedis() {
  await Promise.all(
    Object.values(harness.resources.queues.byName).map((queue) => queue.obliterate({ force: true })),
  );
}

describe('reconcile', () => {
  it('gives deliveries and outbox mail whose jobs Redis lost new jobs, once per pass slot', async () => {
    const { db } = harness.resources;
    const { issue } = await buildIssue(harness.resources.digest, { cadence: 'daily', date: '2026-06-01' });
    const [subscriber] = await db.selectFrom('subscribers').select('id').execute();
    const mail = await insertOutboxMail(db, 'welcome', subscriber!.id);
    await loseRedis();
    expect(await waitingJobIds()).toEqual([]);

    const now = Date.now();
    const round = `r${Math.floor(now / RECONCILE_INTERVAL_MS)}`;
    // Two workers running the same pass at once.
    const [first] = await Promise.all([
      reconcile(harness.resources.digest, now),
      reconcile(harness.resources.digest, now),
    ]);
    expect(first).toMatchObject({ runs: { [issue.id]: 1 }, mail: 1 });
    expect(await waitingJobIds()).toEqual([`mail-${mail.id}-${round}`, `send-${issue.id}-${round}-0`]);
  });

  it('puts back deliveries whose run died once their lease lapses, and leaves live leases alone', async () => {
    const { db } = harness.resources;
    const { issue } = await buildIssue(harness.resources.digest, { cadence: 'daily', date: '2026-06-01' });
    await claimDueDeliveries(db, issue.id, 'live-run', { limit: 1, leaseMs: 60_000 });
    await claimDueDeliveries(db, issue.id, 'dead-run', { limit: 1, leaseMs: 1 });
    await eventually(async () => {
      const lapsed = await db
        .selectFrom('deliveries')
        .select('id')
        .where('lease_owner', '=', 'dead-run')
        .where('lease_expires_at', '<', new Date())
        .executeTakeFirst();
      return lapsed ? true : undefined;
    });

    expect(await reconcile(harness.resources.digest)).toMatchObject({ lapsed: 1, runs: { [issue.id]: 1 } });
    const rows = await db.selectFrom('deliveries').select(['status', 'lease_owner']).orderBy('id').execute();
    expect(rows).toEqual([
      { status: 'sending', lease_owner: 'live-run' },
      { status: 'queued', lease_owner: null },
    ]);
  });

  it('skips what a cancelled issue still has queued, and nothing of an issue still sending', async () => {
    const { db } = harness.resources;
    const { issue } = await buildIssue(harness.resources.digest, { cadence: 'daily', date: '2026-06-01' });
    expect(await reconcile(harness.resources.digest)).toMatchObject({ cancelled: 0 });

    await db.updateTable('issues').set({ status: 'cancelled' }).where('id', '=', issue.id).execute();
    expect(await reconcile(harness.resources.digest)).toMatchObject({ cancelled: 2 });
    const rows = await db.selectFrom('deliveries').select(['status', 'last_error']).execute();
    expect(rows).toEqual([
      { status: 'skipped', last_error: 'issue cancelled' },
      { status: 'skipped', last_error: 'issue cancelled' },
    ]);
  });

  it('completes an issue with nothing left to send', async () => {
    const { db } = harness.resources;
    const { issue } = await buildIssue(harness.resources.digest, { cadence: 'daily', date: '2026-06-01' });
    await db.updateTable('deliveries').set({ status: 'sent' }).execute();
    expect(await reconcile(harness.resources.digest)).toMatchObject({ completed: [issue.id] });
  });
});

describe('reconcile: the ledger partitions', () => {
  // Months far from those the migration made (this one and the next), whenever the tests run.
  const now = Date.parse('2090-05-10T12:00:00Z');
  const dates = ['2090-01-31', '2090-02-01', '2090-05-02'];

  /** Issues of those dates, each sent to both subscribers. */
  async function sentIssues() {
    const { db } = harness.resources;
    await upsertPapers(
      db,
      dates.map((date) => ({
        external_id: date,
        title: date,
        featured_at: new Date(`${date}T08:00:00Z`),
        upvotes: 1,
      })),
    );
    for (const date of dates) await buildIssue(harness.resources.digest, { cadence: 'daily', date });
    await db.updateTable('deliveries').set({ status: 'sent' }).execute();
    await db.updateTable('issues').set({ status: 'sent' }).execute();
  }

  const withRetention = (months: number) => ({
    ...harness.resources.digest,
    settings: { ...harness.resources.digest.settings, retentionMonths: months },
  });

  it('creates this month and the next ahead, once, however many workers pass at the same time', async () => {
    const ctx = harness.resources.digest;
    const passes = await Promise.all([reconcile(ctx, now), reconcile(ctx, now), reconcile(ctx, now)]);
    expect(passes.flatMap((pass) => pass.partitions.created).sort()).toEqual(['2090-05-01', '2090-06-01']);
    expect(await listDeliveryPartitions(harness.resources.db)).toEqual(
      expect.arrayContaining(['2090-05-01', '2090-06-01']),
    );
    expect((await reconcile(ctx, now)).partitions).toEqual({ created: [], dropped: [] });
  });

  it('keeps every month without DELIVERY_RETENTION_MONTHS', async () => {
    await sentIssues();
    expect((await reconcile(harness.resources.digest, now)).partitions.dropped).toEqual([]);
    expect(await listDeliveryPartitions(harness.resources.db)).toEqual(
      expect.arrayContaining(['2090-01-01', '2090-02-01', '2090-05-01']),
    );
  });

  it('drops the months wholly older than DELIVERY_RETENTION_MONTHS, never the current one', async () => {
    const { db } = harness.resources;
    await sentIssues();
    const ctx = withRetention(3);
    // 2090-05-10 less three months is 2090-02-10: January is wholly older, February is not.
    const { partitions } = await reconcile(ctx, now);
    expect(partitions.dropped).toContain('2090-01-01');
    expect(partitions.dropped).not.toContain('2090-02-01');
    const left = await listDeliveryPartitions(db);
    expect(left).toEqual(expect.arrayContaining(['2090-02-01', '2090-05-01', '2090-06-01']));
    expect(left).not.toContain('2090-01-01');

    // The issue stays, and its pages say it has no deliveries any more.
    const old = { cadence: 'daily' as const, date: '2090-01-31' };
    expect(await issueReport(ctx, old)).toMatchObject({
      status: 'sent',
      deliveries: { total: 0 },
      failures: [],
    });
    const issue = await db
      .selectFrom('issues')
      .select('id')
      .where('issue_date', '=', old.date)
      .executeTakeFirstOrThrow();
    expect(await issueLedger(ctx, issue.id, { limit: 10 })).toMatchObject({
      counts: { total: 0 },
      deliveries: { items: [] },
    });
    expect((await issueReport(ctx, { cadence: 'daily', date: '2090-02-01' })).deliveries.total).toBe(2);

    // A resend of it fills its month again, which stays while it is being sent.
    expect(await resendIssue(ctx, { ...old, all: true })).toEqual({ requeued: 2 });
    expect((await reconcile(ctx, now)).partitions.dropped).toEqual([]);
    expect((await issueReport(ctx, old)).deliveries).toMatchObject({ queued: 2, total: 2 });
  });
});
