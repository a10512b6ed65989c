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
