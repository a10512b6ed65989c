import {
  claimDueDeliveries,
  type Db,
  findIssueById,
  findSubscriberByEmail,
  insertIssueOnce,
  insertSubscriber,
  recordDeliveryResults,
  releaseDeliveries,
  renewDeliveryLeases,
  upsertPapers,
} from '@digest/db';
import { createSmtpTransport } from '@digest/email';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, openHarness, senders } from '../../../test/support/harness.ts';
import { buildIssue } from './build.ts';
import type { SendContext } from './context.ts';
import { controlIssue } from './control.ts';
import { resendIssue } from './resend.ts';
import { sendIssue } from './send.ts';

let harness: Harness;
let ctx: SendContext;

beforeEach(async () => {
  harness = await openHarness();
  const transport = createSmtpTransport({ url: harness.smtp.url, poolSize: 2 });
  ctx = senders(harness.resources, transport).send;
});

afterEach(async () => {
  ctx.transport.close();
  await harness.close();
});

const HOSTILE_TITLE = 'Attention <script>alert(1)</script> "quoted" \'single\' 🧪\r\nBcc: victim@example.org';

async function seed(db: Db, emails: string[]) {
  await upsertPapers(db, [
    {
      external_id: 'hostile',
      title: HOSTILE_TITLE,
      featured_at: new Date('2026-06-01T07:00:00Z'),
      upvotes: 50,
    },
    {
      external_id: 'plain',
      title: 'A plain paper',
      summary: 'Summary with <b>markup</b> & ampersands',
      featured_at: new Date('2026-06-01T08:00:00Z'),
      upvotes: 10,
    },
  ]);
  for (const email of emails)
    await insertSubscriber(db, { email, status: 'active', consent_source: 'import' });
}

async function deliveryRows(db: Db) {
  return db.selectFrom('deliveries').selectAll().orderBy('id').execute();
}

describe('sendIssue', () => {
  it('escapes hostile titles in the body and keeps them out of the headers', async () => {
    await seed(harness.resources.db, ['reader@example.org']);
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    expect(await sendIssue(ctx, issue.id)).toMatchObject({ sent: 1 });

    const [mail] = await harness.smtp.waitFor(1);
    expect(mail!.envelopeTo).toEqual(['reader@example.org']);
    expect(mail!.parsed.bcc).toBeUndefined();
    expect(mail!.raw).not.toMatch(/^Bcc:/im);
    expect(mail!.parsed.subject).toContain('Attention <script>');
    expect(mail!.parsed.subject).not.toMatch(/[\r\n]/);
    const html = mail!.parsed.html as string;
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<b>markup</b>');
    expect(mail!.parsed.text).toContain('🧪');
  });

  it('sends each subscriber the papers they chose, one edition per distinct choice', async () => {
    const { db } = harness.resources;
    await seed(db, ['everything@example.org']);
    await upsertPapers(db, [
      {
        external_id: 'vision',
        title: 'Vision at scale',
        featured_at: new Date('2026-06-01T09:00:00Z'),
        upvotes: 5,
      },
    ]);
    const choices = [
      { email: 'top-one@example.org', papers_per_email: 1 },
      { email: 'vision@example.org', keywords: ['vision'] },
      { email: 'vision-too@example.org', keywords: ['vision'] },
      { email: 'nothing-matches@example.org', keywords: ['quantum'] },
      { email: 'top-if-none@example.org', keywords: ['quantum'], top_when_no_match: true },
    ];
    for (const choice of choices)
      await insertSubscriber(db, { status: 'active', consent_source: 'import', ...choice });
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    const outcome = await sendIssue(ctx, issue.id);
    expect(outcome).toMatchObject({ sent: 5, failed: 0, skipped: 1 });
    const mails = new Map(harness.smtp.messages.map((mail) => [mail.envelopeTo[0], mail]));
    const papersIn = (email: string) =>
      ['Attention', 'A plain paper', 'Vision at scale'].filter((title) =>
        mails.get(email)?.parsed.text?.includes(title),
      );
    expect(papersIn('everything@example.org')).toEqual(['Attention', 'A plain paper', 'Vision at scale']);
    expect(papersIn('top-one@example.org')).toEqual(['Attention']);
    expect(papersIn('vision@example.org')).toEqual(['Vision at scale']);
    expect(mails.get('vision@example.org')?.parsed.subject).toContain('Vision at scale');
    expect(mails.get('vision@example.org')?.parsed.text).toContain('matching vision');
    // No paper matches: no email, unless they asked for the top papers then.
    expect(mails.has('nothing-matches@example.org')).toBe(false);
    expect(papersIn('top-if-none@example.org')).toEqual(['Attention', 'A plain paper', 'Vision at scale']);
    expect(mails.get('top-if-none@example.org')?.parsed.text).not.toContain('matching');
    const skipped = await db
      .selectFrom('deliveries as d')
      .innerJoin('subscribers as s', 's.id', 'd.subscriber_id')
      .select(['s.email', 'd.status', 'd.last_error', 'd.attempts'])
      .where('d.status', '=', 'skipped')
      .execute();
    expect(skipped).toEqual([
      {
        email: 'nothing-matches@example.org',
        status: 'skipped',
        last_error: 'no paper matched the keywords',
        attempts: 0,
      },
    ]);
    expect(ctx.compiledIssues.get(issue.id)?.editions.size).toBe(4);
    expect((await findIssueById(db, issue.id))?.status).toBe('sent');
  });

  it('numbers personal editions as the issue was built, whatever is filled in before it meanwhile', async () => {
    const { db } = harness.resources;
    await seed(db, ['everything@example.org']);
    await insertSubscriber(db, {
      email: 'plain-only@example.org',
      status: 'active',
      consent_source: 'import',
      keywords: ['plain'],
    });
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    expect(issue.issue_number).toBe(1);
    // An earlier date imported and sent after this issue was built, before its editions render.
    await insertIssueOnce(db, {
      cadence: 'daily',
      issueDate: '2026-05-31',
      status: 'sent',
      subject: 'Backfilled',
      papers: [],
      morePapers: [],
      html: '',
      text: '',
      slotNonce: null,
    });
    expect(await sendIssue(ctx, issue.id)).toMatchObject({ sent: 2 });
    const texts = new Map(harness.smtp.messages.map((mail) => [mail.envelopeTo[0], mail.parsed.text]));
    expect(texts.get('plain-only@example.org')).toContain('matching plain');
    for (const text of texts.values()) {
      expect(text).toContain('Issue 1');
      expect(text).not.toContain('Issue 2');
    }
  });

  it('never sends a reader a paper an earlier issue of the cadence already brought them', async () => {
    const { db } = harness.resources;
    await seed(db, ['reader@example.org']);
    await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    // The same paper featured again the next day, beside a new one.
    await upsertPapers(db, [
      {
        external_id: 'plain',
        title: 'A plain paper',
        featured_at: new Date('2026-06-02T08:00:00Z'),
        upvotes: 90,
      },
      {
        external_id: 'fresh',
        title: 'A fresh paper',
        featured_at: new Date('2026-06-02T09:00:00Z'),
        upvotes: 1,
      },
    ]);
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-02' });
    expect(issue.papers.map((paper) => paper.externalId)).toEqual(['fresh']);
  });

  it('bounces a dead mailbox for good and fails other 5xx replies with the reason', async () => {
    const { db } = harness.resources;
    await seed(db, ['good@example.org', 'gone@example.org', 'spam@example.org']);
    harness.smtp.rejectRecipient((address) => address === 'gone@example.org', 550, '5.1.1 No such user');
    harness.smtp.rejectRecipient((address) => address === 'spam@example.org', 554, '5.7.1 Looks like spam');
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });

    expect(await sendIssue(ctx, issue.id)).toMatchObject({ sent: 1, failed: 1, bounced: 1 });
    const rows = await deliveryRows(db);
    expect(rows.map((row) => row.status).sort()).toEqual(['bounced', 'failed', 'sent']);
    expect(rows.find((row) => row.status === 'bounced')?.last_error).toMatch(/550 5\.1\.1/);
    expect(rows.find((row) => row.status === 'failed')?.last_error).toMatch(/554 5\.7\.1/);
    expect(rows.find((row) => row.status === 'sent')?.smtp_message_id).toMatch(/^<.+@digest\.test>$/);
    expect(await findSubscriberByEmail(db, 'gone@example.org')).toMatchObject({ status: 'bounced' });
    expect(await findSubscriberByEmail(db, 'spam@example.org')).toMatchObject({ status: 'active' });
    expect((await findIssueById(db, issue.id))?.status).toBe('sent');
  });

  it('retries a 4xx later with backoff, then fails it as a soft bounce once the budget is spent', async () => {
    const { db } = harness.resources;
    await seed(db, ['busy@example.org']);
    harness.smtp.rejectRecipient(() => true, 451, '4.3.0 Try again later');
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });

    expect(await sendIssue(ctx, issue.id)).toMatchObject({ sent: 0, retrying: 1 });
    let [row] = await deliveryRows(db);
    expect(row).toMatchObject({ status: 'queued', attempts: 1, lease_owner: null });
    expect(row?.last_error).toMatch(/451/);
    expect(row!.next_attempt_at.getTime()).toBeGreaterThan(Date.now() + 15_000);
    // Not due yet: a run sends nothing, and the issue is not complete.
    expect(await sendIssue(ctx, issue.id)).toMatchObject({ sent: 0, retrying: 0 });
    expect((await findIssueById(db, issue.id))?.status).toBe('sending');

    // Due, but queued longer ago than SEND_RETRY_HOURS: it fails, and counts as a soft bounce.
    await db
      .updateTable('deliveries')
      .set({ next_attempt_at: new Date(), queued_at: new Date(Date.now() - 25 * 3600_000) })
      .execute();
    expect(await sendIssue(ctx, issue.id)).toMatchObject({ failed: 1 });
    [row] = await deliveryRows(db);
    expect(row).toMatchObject({ status: 'failed', attempts: 2 });
    expect(await findSubscriberByEmail(db, 'busy@example.org')).toMatchObject({
      status: 'active',
      soft_bounces: 1,
    });
    expect(harness.smtp.messages).toHaveLength(0);
    expect((await findIssueById(db, issue.id))?.status).toBe('sent');
  });

  it('clears the soft bounces of a subscriber whose mail goes through again', async () => {
    const { db } = harness.resources;
    await seed(db, ['flaky@example.org', 'steady@example.org']);
    await db
      .updateTable('subscribers')
      .set({ soft_bounces: 2 })
      .where('email', '=', 'flaky@example.org')
      .execute();
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });

    expect(await sendIssue(ctx, issue.id)).toMatchObject({ sent: 2 });
    expect((await deliveryRows(db)).map((row) => row.status)).toEqual(['sent', 'sent']);
    for (const email of ['flaky@example.org', 'steady@example.org']) {
      expect(await findSubscriberByEmail(db, email)).toMatchObject({ status: 'active', soft_bounces: 0 });
    }
  });

  it('pauses on an unreachable relay without using up any attempt', async () => {
    const { db } = harness.resources;
    await seed(db, ['a@example.org', 'b@example.org']);
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    await harness.smtp.close();

    const outcome = await sendIssue(ctx, issue.id);
    expect(outcome.sent).toBe(0);
    expect(ctx.relay.open).toBe(false);
    const rows = await deliveryRows(db);
    expect(rows.map((row) => [row.status, row.attempts])).toEqual([
      ['queued', 0],
      ['queued', 0],
    ]);
    // While the relay is away, a run claims nothing.
    expect(await sendIssue(ctx, issue.id)).toMatchObject({ sent: 0, deferred: 0 });
  });

  it('never sends a delivery twice once it is recorded, and skips subscribers who left', async () => {
    await seed(harness.resources.db, ['stays@example.org', 'leaves@example.org']);
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    await harness.resources.db
      .updateTable('subscribers')
      .set({ status: 'unsubscribed' })
      .where('email', '=', 'leaves@example.org')
      .execute();

    await sendIssue(ctx, issue.id);
    await sendIssue(ctx, issue.id);
    expect(harness.smtp.messages.map((mail) => mail.envelopeTo[0])).toEqual(['stays@example.org']);
    const statuses = (await deliveryRows(harness.resources.db)).map((row) => row.status).sort();
    expect(statuses).toEqual(['sent', 'skipped']);
  });

  it('leaves deliveries another live run leases alone, and takes them over once the lease lapses', async () => {
    const { db } = harness.resources;
    await seed(db, ['held@example.org']);
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    // Run A leases the delivery and is still sending it (nothing recorded yet).
    expect(await claimDueDeliveries(db, issue.id, 'run-a', { limit: 10, leaseMs: 60_000 })).toHaveLength(1);

    expect(await sendIssue(ctx, issue.id)).toMatchObject({ sent: 0 });
    expect(harness.smtp.messages).toHaveLength(0);

    // Run A died: its lease lapses and another run sends the delivery, once.
    await db
      .updateTable('deliveries')
      .set({ lease_expires_at: new Date(Date.now() - 1000) })
      .execute();
    expect(await sendIssue(ctx, issue.id)).toMatchObject({ sent: 1 });
    expect((await deliveryRows(db))[0]).toMatchObject({ status: 'sent' });
    expect(harness.smtp.messages).toHaveLength(1);
  });

  it("ends a run's lease when its issue is cancelled, and skips what it held", async () => {
    const { db } = harness.resources;
    await seed(db, ['one@example.org', 'two@example.org']);
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    await claimDueDeliveries(db, issue.id, 'run-a', { limit: 1, leaseMs: 60_000 });
    expect(await renewDeliveryLeases(db, 'run-a', 60_000)).toBe(1);

    await controlIssue(ctx, { cadence: 'daily', date: '2026-06-01' }, 'cancel');
    // The run learns at its next renewal that it holds nothing to send any more…
    expect(await renewDeliveryLeases(db, 'run-a', 60_000)).toBe(0);
    // …and what it releases is skipped, not queued again for a later resend to revive.
    await releaseDeliveries(db, 'run-a');
    expect((await deliveryRows(db)).map((row) => row.status)).toEqual(['skipped', 'skipped']);
  });

  it('mails only whom a resend of a cancelled issue names, even with a delivery the cancel left queued', async () => {
    const { db } = harness.resources;
    await seed(db, ['left@example.org', 'named@example.org']);
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    await controlIssue(ctx, { cadence: 'daily', date: '2026-06-01' }, 'cancel');
    // An outcome written as the cancel committed put one delivery back in the queue.
    const [leftover] = await deliveryRows(db);
    await db.updateTable('deliveries').set({ status: 'queued' }).where('id', '=', leftover!.id).execute();

    await resendIssue(ctx, { cadence: 'daily', date: '2026-06-01', emails: ['named@example.org'] });
    await sendIssue(ctx, issue.id);
    expect(harness.smtp.messages.map((mail) => mail.envelopeTo)).toEqual([['named@example.org']]);
    expect((await deliveryRows(db)).find((row) => row.id === leftover!.id)).toMatchObject({
      status: 'skipped',
    });
  });

  it('skips, not queues, a delivery whose try failed for now after its issue was cancelled', async () => {
    const { db } = harness.resources;
    await seed(db, ['one@example.org', 'two@example.org']);
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    const [held, other] = await claimDueDeliveries(db, issue.id, 'run-a', { limit: 2, leaseMs: 60_000 });
    await controlIssue(ctx, { cadence: 'daily', date: '2026-06-01' }, 'cancel');
    // The relay's answers arrive after the cancel: a 451 and an absent relay.
    await recordDeliveryResults(db, issue, 'run-a', [
      { id: held!.id, outcome: 'retry', nextAttemptAt: new Date(), error: '451 4.3.0 busy' },
      { id: other!.id, outcome: 'deferred', nextAttemptAt: new Date(), error: 'relay unreachable' },
    ]);
    expect((await deliveryRows(db)).map((row) => [row.status, row.last_error])).toEqual([
      ['skipped', 'issue cancelled'],
      ['skipped', 'issue cancelled'],
    ]);
  });

  it('stops at a pause, goes on at resume, and skips what waits at a cancel', async () => {
    const { db } = harness.resources;
    await seed(db, ['one@example.org', 'two@example.org']);
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    const key = { cadence: 'daily' as const, date: '2026-06-01' };

    expect(await controlIssue(ctx, key, 'pause')).toEqual({ status: 'paused', skipped: 0 });
    expect(await sendIssue(ctx, issue.id)).toMatchObject({ sent: 0 });
    await expect(controlIssue(ctx, key, 'pause')).rejects.toThrow(/is paused/);

    await controlIssue(ctx, key, 'resume');
    await db
      .updateTable('deliveries')
      .set({ status: 'sent' })
      .where('id', '=', (await deliveryRows(db))[0]!.id)
      .execute();
    expect(await controlIssue(ctx, key, 'cancel')).toEqual({ status: 'cancelled', skipped: 1 });
    expect(await sendIssue(ctx, issue.id)).toMatchObject({ sent: 0 });
    expect((await deliveryRows(db)).map((row) => row.status)).toEqual(['sent', 'skipped']);
  });

  it('resends only when told whom to, and records a resend beside the first send', async () => {
    const { db } = harness.resources;
    await seed(db, ['one@example.org', 'two@example.org']);
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    await sendIssue(ctx, issue.id);
    const first = await harness.smtp.waitFor(2);
    const key = { cadence: 'daily' as const, date: '2026-06-01' };

    await expect(resendIssue(ctx, key)).rejects.toThrow(/exactly one of/);
    expect(await resendIssue(ctx, { ...key, missingOnly: true })).toEqual({ requeued: 0 });
    // A subscriber who joined after the build is missing it.
    await insertSubscriber(db, { email: 'late@example.org', status: 'active', consent_source: 'import' });
    expect(await resendIssue(ctx, { ...key, missingOnly: true })).toEqual({ requeued: 1 });
    expect(await resendIssue(ctx, { ...key, emails: ['TWO@example.org'] })).toEqual({ requeued: 1 });
    expect((await findIssueById(db, issue.id))?.status).toBe('sending');

    await sendIssue(ctx, issue.id);
    const mails = await harness.smtp.waitFor(4);
    expect(
      mails
        .slice(2)
        .flatMap((mail) => mail.envelopeTo)
        .sort(),
    ).toEqual(['late@example.org', 'two@example.org']);
    expect(mails[3]?.parsed.subject).toBe(first[0]?.parsed.subject);
    const rows = await deliveryRows(db);
    expect(rows.map((row) => [row.status, row.resend])).toEqual([
      ['sent', false],
      ['sent', false],
      ['sent', false],
      ['sent', true],
    ]);
    expect((await findIssueById(db, issue.id))?.status).toBe('sent');
  });

  it('resends to the missing only those no delivery reached, even after a failed resend', async () => {
    const { db } = harness.resources;
    await seed(db, ['had-it@example.org']);
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    await sendIssue(ctx, issue.id);
    const key = { cadence: 'daily' as const, date: '2026-06-01' };
    harness.smtp.rejectRecipient(() => true, 554, '5.7.1 Not now');
    await resendIssue(ctx, { ...key, emails: ['had-it@example.org'] });
    await sendIssue(ctx, issue.id);
    expect((await deliveryRows(db)).map((row) => row.status)).toEqual(['sent', 'failed']);
    // Their resend failed, but the first send reached them: they are not missing it.
    expect(await resendIssue(ctx, { ...key, missingOnly: true })).toEqual({ requeued: 0 });
    expect(await resendIssue(ctx, { ...key, failedOnly: true })).toEqual({ requeued: 1 });
  });

  it('refuses to resend to an address that has left, keeping the record of what it was sent', async () => {
    await seed(harness.resources.db, ['left@example.org']);
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    await sendIssue(ctx, issue.id);
    await harness.resources.db.updateTable('subscribers').set({ status: 'unsubscribed' }).execute();

    await expect(
      resendIssue(ctx, { cadence: 'daily', date: '2026-06-01', emails: ['left@example.org'] }),
    ).rejects.toThrow(/left@example.org \(unsubscribed\)/);
    expect(await resendIssue(ctx, { cadence: 'daily', date: '2026-06-01', all: true })).toEqual({
      requeued: 0,
    });
    expect((await deliveryRows(harness.resources.db))[0]).toMatchObject({ status: 'sent' });
  });
});
