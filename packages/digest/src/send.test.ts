import { claimDeliveries, type Db, findIssueById, insertSubscriber, upsertPapers } from '@digest/db';
import { createSmtpTransport } from '@digest/email';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, openHarness, senders } from '../../../test/support/harness.ts';
import { buildIssue } from './build.ts';
import type { SendContext } from './context.ts';
import { resendIssue } from './resend.ts';
import { sendBatch } from './send.ts';

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

describe('sendBatch', () => {
  it('escapes hostile titles in the body and keeps them out of the headers', async () => {
    await seed(harness.resources.db, ['reader@example.org']);
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    const ids = (await deliveryRows(harness.resources.db)).map((row) => row.id);
    expect(
      await sendBatch(ctx, { issueId: issue.id, deliveryIds: ids }, { lastAttempt: false, owner: 'job-1' }),
    ).toMatchObject({ sent: 1 });

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
    ];
    for (const choice of choices)
      await insertSubscriber(db, { status: 'active', consent_source: 'import', ...choice });
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    const ids = (await deliveryRows(db)).map((row) => row.id);

    const outcome = await sendBatch(
      ctx,
      { issueId: issue.id, deliveryIds: ids },
      { lastAttempt: false, owner: 'job-1' },
    );
    expect(outcome).toMatchObject({ sent: 5, failed: 0 });
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
    // No paper matches: the issue as published rather than nothing.
    expect(papersIn('nothing-matches@example.org')).toEqual([
      'Attention',
      'A plain paper',
      'Vision at scale',
    ]);
    expect(mails.get('nothing-matches@example.org')?.parsed.text).not.toContain('matching');
    expect(ctx.compiledIssues.get(issue.id)?.editions.size).toBe(3);
    expect((await findIssueById(db, issue.id))?.status).toBe('sent');
  });

  it('fails a delivery on a 5xx reply and records the reason', async () => {
    await seed(harness.resources.db, ['good@example.org', 'gone@example.org']);
    harness.smtp.rejectRecipient((address) => address === 'gone@example.org', 550, 'No such user');
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    const ids = (await deliveryRows(harness.resources.db)).map((row) => row.id);

    const outcome = await sendBatch(
      ctx,
      { issueId: issue.id, deliveryIds: ids },
      { lastAttempt: false, owner: 'job-1' },
    );
    expect(outcome).toMatchObject({ sent: 1, failed: 1, deferred: 0 });
    const rows = await deliveryRows(harness.resources.db);
    const gone = rows.find((row) => row.status === 'failed');
    expect(gone?.last_error).toMatch(/550/);
    const sent = rows.find((row) => row.status === 'sent');
    expect(sent?.smtp_message_id).toMatch(/^<.+@digest\.test>$/);
  });

  it('puts 4xx deliveries back in the queue, and fails them on the last attempt', async () => {
    await seed(harness.resources.db, ['busy@example.org']);
    harness.smtp.rejectRecipient(() => true, 451, 'Try again later');
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    const ids = (await deliveryRows(harness.resources.db)).map((row) => row.id);

    const first = await sendBatch(
      ctx,
      { issueId: issue.id, deliveryIds: ids },
      { lastAttempt: false, owner: 'job-1' },
    );
    expect(first).toMatchObject({ sent: 0, deferred: 1 });
    expect(first.deferredReason).toMatch(/451/);
    let [row] = await deliveryRows(harness.resources.db);
    expect(row).toMatchObject({ status: 'queued', attempts: 1 });

    const last = await sendBatch(
      ctx,
      { issueId: issue.id, deliveryIds: ids },
      { lastAttempt: true, owner: 'job-1' },
    );
    expect(last).toMatchObject({ failed: 1, deferred: 0 });
    [row] = await deliveryRows(harness.resources.db);
    expect(row).toMatchObject({ status: 'failed', attempts: 2 });
    expect(harness.smtp.messages).toHaveLength(0);
  });

  it('never sends a delivery twice once it is recorded, and skips subscribers who left', async () => {
    await seed(harness.resources.db, ['stays@example.org', 'leaves@example.org']);
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    await harness.resources.db
      .updateTable('subscribers')
      .set({ status: 'unsubscribed' })
      .where('email', '=', 'leaves@example.org')
      .execute();
    const ids = (await deliveryRows(harness.resources.db)).map((row) => row.id);

    await sendBatch(ctx, { issueId: issue.id, deliveryIds: ids }, { lastAttempt: false, owner: 'job-1' });
    await sendBatch(ctx, { issueId: issue.id, deliveryIds: ids }, { lastAttempt: false, owner: 'job-1' });
    expect(harness.smtp.messages.map((mail) => mail.envelopeTo[0])).toEqual(['stays@example.org']);
    const statuses = (await deliveryRows(harness.resources.db)).map((row) => row.status).sort();
    expect(statuses).toEqual(['sent', 'skipped']);
  });

  it('leaves deliveries another send job holds alone, until that claim goes stale', async () => {
    await seed(harness.resources.db, ['held@example.org']);
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    const ids = (await deliveryRows(harness.resources.db)).map((row) => row.id);
    // Job A claims the batch and is still sending it (nothing recorded yet).
    expect(await claimDeliveries(harness.resources.db, issue.id, ids, 'job-a')).toHaveLength(1);

    // A resend of the failed ones, and job B on the same rows, send nothing.
    expect(await resendIssue(ctx, { cadence: 'daily', date: '2026-06-01', failedOnly: true })).toEqual({
      requeued: 0,
    });
    expect(
      await sendBatch(ctx, { issueId: issue.id, deliveryIds: ids }, { lastAttempt: false, owner: 'job-b' }),
    ).toMatchObject({
      sent: 0,
    });
    expect(harness.smtp.messages).toHaveLength(0);

    // Job A died long ago: its claim is stale and a new job finishes the delivery, once.
    await harness.resources.db
      .updateTable('deliveries')
      .set({ updated_at: new Date(Date.now() - 3600_000) })
      .execute();
    expect(
      await sendBatch(ctx, { issueId: issue.id, deliveryIds: ids }, { lastAttempt: false, owner: 'job-c' }),
    ).toMatchObject({
      sent: 1,
    });
    expect((await deliveryRows(harness.resources.db))[0]).toMatchObject({
      status: 'sent',
      claimed_by: 'job-c',
    });
    expect(harness.smtp.messages).toHaveLength(1);
  });

  it('resends exactly the named addresses, as the same issue', async () => {
    await seed(harness.resources.db, ['one@example.org', 'two@example.org']);
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    const ids = (await deliveryRows(harness.resources.db)).map((row) => row.id);
    await sendBatch(ctx, { issueId: issue.id, deliveryIds: ids }, { lastAttempt: false, owner: 'job-1' });
    const first = await harness.smtp.waitFor(2);

    expect(
      await resendIssue(ctx, { cadence: 'daily', date: '2026-06-01', emails: ['TWO@example.org'] }),
    ).toEqual({
      requeued: 1,
    });
    const [job] = await harness.resources.queues
      .queueOf('send-batch')
      .getJobs(['waiting'])
      .then((jobs) => jobs.filter((candidate) => String(candidate.id).includes('resend')));
    expect(job?.data.deliveryIds).toHaveLength(1);
    await sendBatch(ctx, job!.data, { lastAttempt: false, owner: String(job!.id) });
    const mails = await harness.smtp.waitFor(3);
    expect(mails[2]?.envelopeTo).toEqual(['two@example.org']);
    expect(mails[2]?.parsed.subject).toBe(first[0]?.parsed.subject);
    const rows = await deliveryRows(harness.resources.db);
    expect(rows.map((row) => [row.status, row.attempts])).toEqual([
      ['sent', 1],
      ['sent', 2],
    ]);
  });

  it('refuses to resend to an address that has left, keeping the record of what it was sent', async () => {
    await seed(harness.resources.db, ['left@example.org']);
    const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-06-01' });
    const ids = (await deliveryRows(harness.resources.db)).map((row) => row.id);
    await sendBatch(ctx, { issueId: issue.id, deliveryIds: ids }, { lastAttempt: false, owner: 'job-1' });
    await harness.resources.db.updateTable('subscribers').set({ status: 'unsubscribed' }).execute();

    await expect(
      resendIssue(ctx, { cadence: 'daily', date: '2026-06-01', emails: ['left@example.org'] }),
    ).rejects.toThrow(/left@example.org \(unsubscribed\)/);
    expect(await resendIssue(ctx, { cadence: 'daily', date: '2026-06-01' })).toEqual({ requeued: 0 });
    expect((await deliveryRows(harness.resources.db))[0]).toMatchObject({ status: 'sent' });
  });
});
