import { insertSubscriber, upsertPapers } from '@digest/db';
import { createSmtpTransport } from '@digest/email';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, openHarness, senders } from '../../../test/support/harness.ts';
import { buildIssue } from './build.ts';
import type { SendContext } from './context.ts';
import { sendIssue } from './send.ts';

let harness: Harness;
let ctx: SendContext;

beforeEach(async () => {
  harness = await openHarness();
  ctx = senders(harness.resources, createSmtpTransport({ url: harness.smtp.url, poolSize: 1 })).send;
});

afterEach(async () => {
  ctx.transport.close();
  await harness.close();
});

describe('buildIssue', () => {
  it('stores nothing when the mail cannot be rendered, though the audience was being queued meanwhile', async () => {
    const { db } = harness.resources;
    await upsertPapers(db, [
      { external_id: 'p1', title: 'A paper', featured_at: new Date('2026-06-01T08:00:00Z'), upvotes: 3 },
    ]);
    for (const name of ['a', 'b', 'c']) {
      await insertSubscriber(db, { email: `${name}@example.org`, status: 'active', consent_source: 'api' });
    }
    const key = { cadence: 'daily', date: '2026-06-01' } as const;
    // Not a URL: the mail's links fail validation, so the render fails.
    const broken = { ...ctx, settings: { ...ctx.settings, publicBaseUrl: 'nowhere' } };

    await expect(buildIssue(broken, key)).rejects.toThrow();
    expect(await db.selectFrom('issues').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('deliveries').selectAll().execute()).toEqual([]);

    const { issue, created, deliveriesQueued } = await buildIssue(ctx, key);
    expect({ created, deliveriesQueued }).toEqual({ created: true, deliveriesQueued: 3 });
    expect(issue.subject).toContain('A paper');
    expect(issue.html).toContain('A paper');
    expect(await sendIssue(ctx, issue.id)).toMatchObject({ sent: 3 });
  });

  it('numbers issues as they are built: a day filled in late and builds at once never share a number', async () => {
    const { db } = harness.resources;
    const paperOn = (date: string) => ({
      external_id: `paper-${date}`,
      title: `A paper of ${date}`,
      featured_at: new Date(`${date}T08:00:00Z`),
      upvotes: 3,
    });
    await upsertPapers(db, [paperOn('2026-06-01'), paperOn('2026-06-03')]);
    const build = async (date: string) => (await buildIssue(ctx, { cadence: 'daily', date })).issue;
    expect((await build('2026-06-01')).issue_number).toBe(1);
    expect((await build('2026-06-02')).status).toBe('skipped');
    expect((await build('2026-06-03')).issue_number).toBe(2);

    // The skipped day's papers arrive later: its issue is the next one, not a second number 2.
    await upsertPapers(db, [paperOn('2026-06-02')]);
    const late = await build('2026-06-02');
    expect(late.issue_number).toBe(3);
    expect(late.text).toContain('Issue 3');

    // Two builders of the cadence at once (catching up after an outage) wait for each other.
    await upsertPapers(db, [paperOn('2026-06-04'), paperOn('2026-06-05')]);
    const together = await Promise.all([build('2026-06-04'), build('2026-06-05')]);
    expect(together.map((issue) => issue.issue_number).sort()).toEqual([4, 5]);
    // A weekly issue counts its own.
    expect((await buildIssue(ctx, { cadence: 'weekly', date: '2026-06-01' })).issue.issue_number).toBe(1);
  });

  it('queues the readers of one personal edition next to each other, so sends claim them together', async () => {
    const { db } = harness.resources;
    await upsertPapers(db, [
      {
        external_id: 'p1',
        title: 'Vision at scale',
        featured_at: new Date('2026-06-01T08:00:00Z'),
        upvotes: 3,
      },
    ]);
    // Signed up interleaved: in id order no two neighbours share a choice.
    const keywords = [['vision'], [], ['rl'], ['vision'], [], ['rl'], ['vision']];
    for (const [index, chosen] of keywords.entries()) {
      await insertSubscriber(db, {
        email: `reader-${index}@example.org`,
        status: 'active',
        consent_source: 'api',
        keywords: chosen,
      });
    }
    const { deliveriesQueued } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    expect(deliveriesQueued).toBe(keywords.length);
    const queued = await db
      .selectFrom('deliveries as d')
      .innerJoin('subscribers as s', 's.id', 'd.subscriber_id')
      .select('s.keywords')
      .orderBy('d.id')
      .execute();
    const runs = queued.map((row) => row.keywords.join()).filter((key, index, all) => key !== all[index - 1]);
    expect(runs.sort()).toEqual(['', 'rl', 'vision']);
  });
});
