import { insertSubscriber, upsertPapers } from '@digest/db';
import { createSmtpTransport } from '@digest/email';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, openHarness, senders } from '../../../test/support/harness.ts';
import { buildIssue } from './build.ts';
import type { SendContext } from './context.ts';
import { issueReport } from './report.ts';
import { sendIssue } from './send.ts';

const HOUR = 8;
let harness: Harness;
let ctx: SendContext;

beforeEach(async () => {
  harness = await openHarness({ DIGEST_LOCAL_HOUR: String(HOUR) });
  ctx = senders(harness.resources, createSmtpTransport({ url: harness.smtp.url, poolSize: 1 })).send;
  await upsertPapers(harness.resources.db, [
    { external_id: 'p1', title: 'A paper', featured_at: new Date('2026-06-01T08:00:00Z'), upvotes: 3 },
  ]);
});

afterEach(async () => {
  ctx.transport.close();
  await harness.close();
});

/** The next `HOUR`:00 in `zone` after `from` (the current hour there counts as now). */
function nextMorning(zone: string, from: Date): Date {
  const hourIn = (at: Date) =>
    Number(
      new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: 'numeric', hourCycle: 'h23' }).format(at),
    );
  if (hourIn(from) === HOUR) return from;
  const top = new Date(from);
  top.setUTCMinutes(0, 0, 0);
  for (let hours = 1; hours <= 48; hours++) {
    const candidate = new Date(top.getTime() + hours * 3_600_000);
    if (hourIn(candidate) === HOUR) return candidate;
  }
  throw new Error(`no ${HOUR}:00 in ${zone}`);
}

describe("a reader's morning", () => {
  it('schedules each reader with a time zone for DIGEST_LOCAL_HOUR there, and the rest at once', async () => {
    const { db } = harness.resources;
    const readers = {
      'tokyo@example.org': 'Asia/Tokyo',
      'la@example.org': 'America/Los_Angeles',
      'nowhere@example.org': null,
    };
    for (const [email, timezone] of Object.entries(readers)) {
      await insertSubscriber(db, { email, timezone, status: 'active', consent_source: 'api' });
    }
    const built = new Date();
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    const rows = await db
      .selectFrom('deliveries as d')
      .innerJoin('subscribers as s', 's.id', 'd.subscriber_id')
      .select(['s.email', 'd.next_attempt_at'])
      .execute();
    const at = Object.fromEntries(rows.map((row) => [row.email, row.next_attempt_at.getTime()]));
    for (const zone of ['Asia/Tokyo', 'America/Los_Angeles'] as const) {
      const email = zone === 'Asia/Tokyo' ? 'tokyo@example.org' : 'la@example.org';
      // Within the build's own second (the database's clock).
      expect(Math.abs((at[email] as number) - nextMorning(zone, built).getTime())).toBeLessThan(5_000);
    }
    expect(Math.abs((at['nowhere@example.org'] as number) - built.getTime())).toBeLessThan(5_000);

    // A run now sends what is due: the reader without a zone, and a zoned one only in its hour.
    await sendIssue(ctx, issue.id);
    const dueNow = Object.entries(at)
      .filter(([, time]) => time <= Date.now() + 1000)
      .map(([email]) => email);
    expect(harness.smtp.messages.flatMap((mail) => mail.envelopeTo).sort()).toEqual(dueNow.sort());
    const report = await issueReport(ctx, { cadence: 'daily', date: '2026-06-01' });
    expect(report.scheduled).toBe(3 - dueNow.length);
    expect(report.status).toBe(dueNow.length === 3 ? 'sent' : 'sending');

    // Their morning comes: the same issue goes to them.
    await db
      .updateTable('deliveries')
      .set({ next_attempt_at: new Date() })
      .where('status', '=', 'queued')
      .execute();
    await sendIssue(ctx, issue.id);
    const mails = await harness.smtp.waitFor(3);
    expect(new Set(mails.map((mail) => mail.parsed.subject)).size).toBe(1);
    expect((await issueReport(ctx, { cadence: 'daily', date: '2026-06-01' })).status).toBe('sent');
  });
});
