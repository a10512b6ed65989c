import { claimDueDeliveries, insertOutboxMail, insertSubscriber, upsertPapers } from '@digest/db';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, openHarness } from '../../../test/support/harness.ts';
import { buildIssue } from './build.ts';
import { RECONCILE_INTERVAL_MS, reconcile } from './reconcile.ts';

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
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(await reconcile(harness.resources.digest)).toMatchObject({ lapsed: 1, runs: { [issue.id]: 1 } });
    const rows = await db.selectFrom('deliveries').select(['status', 'lease_owner']).orderBy('id').execute();
    expect(rows).toEqual([
      { status: 'sending', lease_owner: 'live-run' },
      { status: 'queued', lease_owner: null },
    ]);
  });

  it('completes an issue with nothing left to send', async () => {
    const { db } = harness.resources;
    const { issue } = await buildIssue(harness.resources.digest, { cadence: 'daily', date: '2026-06-01' });
    await db.updateTable('deliveries').set({ status: 'sent' }).execute();
    expect(await reconcile(harness.resources.digest)).toMatchObject({ completed: [issue.id] });
  });
});
