import { findSubscriberByEmail, insertOutboxMail, insertSubscriber, type OutboxKind } from '@digest/db';
import { createSmtpTransport } from '@digest/email';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, openHarness, senders } from '../../../test/support/harness.ts';
import { sendOutboxMail, type TransactionalMailContext } from './mail.ts';

let harness: Harness;
let ctx: TransactionalMailContext;

beforeEach(async () => {
  harness = await openHarness();
  ctx = senders(harness.resources, createSmtpTransport({ url: harness.smtp.url, poolSize: 1 })).mail;
});

afterEach(async () => {
  ctx.transport.close();
  await harness.close();
});

async function queued(email: string, kind: OutboxKind = 'welcome') {
  const subscriber = await insertSubscriber(harness.resources.db, {
    email,
    status: 'active',
    consent_source: 'api',
  });
  return insertOutboxMail(harness.resources.db, kind, subscriber.id);
}

const row = (id: number) =>
  harness.resources.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('outbox mail', () => {
  it('sends a due mail once, however many jobs ask for it', async () => {
    const mail = await queued('reader@example.org');
    const outcomes = await Promise.all([sendOutboxMail(ctx, mail.id), sendOutboxMail(ctx, mail.id)]);
    expect(outcomes.sort()).toEqual(['sent', undefined].sort());
    expect(await row(mail.id)).toMatchObject({ status: 'sent', attempts: 1 });
    expect(await sendOutboxMail(ctx, mail.id)).toBeUndefined();
    expect(harness.smtp.messages).toHaveLength(1);
  });

  it('retries a 4xx later, fails a 5xx, and suppresses a dead mailbox', async () => {
    harness.smtp.rejectRecipient((address) => address === 'busy@example.org', 451, '4.3.0 Busy');
    harness.smtp.rejectRecipient((address) => address === 'gone@example.org', 550, '5.1.1 No such user');
    const busy = await queued('busy@example.org');
    const gone = await queued('gone@example.org');

    expect(await sendOutboxMail(ctx, busy.id)).toBe('queued');
    const retried = await row(busy.id);
    expect(retried).toMatchObject({ status: 'queued', attempts: 1, lease_owner: null });
    expect(retried.next_attempt_at.getTime()).toBeGreaterThan(Date.now() + 15_000);
    // Not due yet.
    expect(await sendOutboxMail(ctx, busy.id)).toBeUndefined();

    expect(await sendOutboxMail(ctx, gone.id)).toBe('failed');
    expect((await row(gone.id)).last_error).toMatch(/550/);
    expect(await findSubscriberByEmail(harness.resources.db, 'gone@example.org')).toMatchObject({
      status: 'bounced',
    });
  });

  it('waits out an unreachable relay without using up an attempt', async () => {
    const mail = await queued('reader@example.org');
    await harness.smtp.close();
    expect(await sendOutboxMail(ctx, mail.id)).toBe('queued');
    expect(await row(mail.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect((await row(mail.id)).last_error).toMatch(/relay unreachable/);
    expect(ctx.relay.open).toBe(false);
  });
});
