import { insertSubscriber, upsertPapers } from '@digest/db';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, openHarness } from '../../../test/support/harness.ts';
import { buildIssue } from './build.ts';
import { issueReport, settledIssueReport } from './report.ts';

let harness: Harness;

beforeEach(async () => {
  harness = await openHarness();
});

afterEach(() => harness.close());

describe('settledIssueReport', () => {
  it('completes an issue whose deliveries are all recorded but which is not marked sent yet', async () => {
    const { db } = harness.resources;
    const ctx = harness.resources.digest;
    await upsertPapers(db, [{ external_id: 'p', title: 'P', featured_at: new Date('2026-06-01T08:00:00Z') }]);
    await insertSubscriber(db, { email: 'a@example.org', status: 'active', consent_source: 'import' });
    const key = { cadence: 'daily' as const, date: '2026-06-01' };
    await buildIssue(ctx, key);

    // Still in flight: the report stays as it is.
    const inFlight = await issueReport(ctx, key);
    expect((await settledIssueReport(ctx, inFlight)).status).toBe('sending');

    // The worker recorded the delivery and has not marked the issue yet.
    await db.updateTable('deliveries').set({ status: 'sent' }).execute();
    const recorded = await issueReport(ctx, key);
    expect(recorded.status).toBe('sending');
    expect(await settledIssueReport(ctx, recorded)).toMatchObject({
      status: 'sent',
      deliveries: { sent: 1 },
    });
  });
});
