import { findSubscriberByEmail, insertSubscriber } from '@digest/db';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, openHarness } from '../../../../test/support/harness.ts';
import { createApp } from '../app.ts';

const SECRET = 'bounce-secret-for-tests';
let harness: Harness;
let app: ReturnType<typeof createApp>;
let confirmed: string[];

beforeEach(async () => {
  harness = await openHarness({ BOUNCE_WEBHOOK_SECRET: SECRET });
  confirmed = [];
  app = createApp(harness.resources, { confirmSubscription: async (url) => void confirmed.push(url) });
  for (const email of ['dead@example.org', 'angry@example.org', 'full@example.org', 'fine@example.org']) {
    await insertSubscriber(harness.resources.db, { email, status: 'active', consent_source: 'import' });
  }
});

afterEach(() => harness.close());

const post = (body: unknown, authorization = `Bearer ${SECRET}`, contentType = 'application/json') =>
  app.request('/api/webhooks/bounces', {
    method: 'POST',
    headers: { authorization, 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const statusOf = async (email: string) => (await findSubscriberByEmail(harness.resources.db, email))?.status;

/** An SES notification as SNS delivers it: text/plain, the notification JSON inside `Message`. */
const sns = (message: unknown) => ({
  Type: 'Notification',
  MessageId: 'b5a8f2d4',
  TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ses-bounces',
  Message: JSON.stringify(message),
});

describe('bounce and complaint webhook', () => {
  it('refuses a missing or wrong secret and changes nothing', async () => {
    const event = { type: 'bounce', email: 'dead@example.org' };
    for (const authorization of [
      '',
      'Bearer wrong',
      `Basic ${Buffer.from('bounces:wrong').toString('base64')}`,
    ]) {
      expect((await post(event, authorization)).status).toBe(401);
    }
    expect(await statusOf('dead@example.org')).toBe('active');
  });

  it('suppresses documented bounces and complaints, and ignores unknown addresses', async () => {
    const response = await post([
      { type: 'bounce', email: 'DEAD@example.org', reason: '550 5.1.1 user unknown' },
      { type: 'complaint', email: 'angry@example.org' },
      { type: 'bounce', email: 'stranger@example.org' },
    ]);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: 3, applied: 2, ignored: 1 });
    expect(await findSubscriberByEmail(harness.resources.db, 'dead@example.org')).toMatchObject({
      status: 'bounced',
      suppression_reason: '550 5.1.1 user unknown',
    });
    expect(await statusOf('angry@example.org')).toBe('complained');
    expect(await statusOf('fine@example.org')).toBe('active');
  });

  it('takes a NUL in a reason or an address without failing the batch, which applies whole', async () => {
    const batch = [
      { type: 'bounce', email: 'dead@example.org', reason: 'ok' },
      { type: 'complaint', email: 'angry@example.org', reason: 'bad\u0000 reason' },
      { type: 'bounce', email: 'full@example.org\u0000' },
      { type: 'bounce', email: 'fine@example.org' },
    ];
    expect(await (await post(batch)).json()).toEqual({ received: 4, applied: 3, ignored: 1 });
    const after = await Promise.all(
      batch.map(({ email }) => findSubscriberByEmail(harness.resources.db, email.replace('\0', ''))),
    );
    expect(after.map((subscriber) => [subscriber?.status, subscriber?.suppression_reason])).toEqual([
      ['bounced', 'ok'],
      ['complained', 'bad reason'],
      ['active', null],
      ['bounced', 'bounce'],
    ]);
  });

  it('applies two batches naming the same readers in opposite orders, both, without a deadlock', async () => {
    const emails = Array.from({ length: 200 }, (_, i) => `reader${i}@example.org`);
    await sql`insert into subscribers (email, status, consent_source)
      select unnest(${emails}::text[]), 'active', 'import'`.execute(harness.resources.db);
    const events = emails.map((email) => ({ type: 'bounce', email, reason: 'gone' }));
    const answers = await Promise.all([post(events), post(events.toReversed())]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(await statusOf('reader0@example.org')).toBe('bounced');
  });

  it('answers bad input with 400 and changes nothing', async () => {
    for (const body of [
      'not json',
      { type: 'bounce' },
      { type: 'unsubscribe', email: 'dead@example.org' },
      [],
    ]) {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toMatch(/invalid_/);
    }
    expect(await statusOf('dead@example.org')).toBe('active');
  });

  it('reads SES notifications over SNS with the secret as the Basic password', async () => {
    const basic = `Basic ${Buffer.from(`bounces:${SECRET}`).toString('base64')}`;
    const bounce = sns({
      notificationType: 'Bounce',
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [
          { emailAddress: 'dead@example.org', diagnosticCode: 'smtp; 550 5.1.1 no mailbox' },
        ],
      },
    });
    const complaint = sns({
      eventType: 'Complaint',
      complaint: {
        complainedRecipients: [{ emailAddress: 'angry@example.org' }],
        complaintFeedbackType: 'abuse',
      },
    });
    const transient = sns({
      notificationType: 'Bounce',
      bounce: { bounceType: 'Transient', bouncedRecipients: [{ emailAddress: 'full@example.org' }] },
    });
    for (const body of [bounce, complaint, transient]) {
      expect((await post(JSON.stringify(body), basic, 'text/plain; charset=UTF-8')).status).toBe(200);
    }
    expect(await statusOf('dead@example.org')).toBe('bounced');
    expect(await statusOf('angry@example.org')).toBe('complained');
    // A transient bounce only counts: the third in a row suppresses.
    expect(await findSubscriberByEmail(harness.resources.db, 'full@example.org')).toMatchObject({
      status: 'active',
      soft_bounces: 1,
    });
    await post(JSON.stringify(transient), basic, 'text/plain');
    await post(JSON.stringify(transient), basic, 'text/plain');
    expect(await statusOf('full@example.org')).toBe('bounced');
  });

  it('confirms an SNS subscription, but only at an SNS endpoint', async () => {
    const handshake = (url: string) => ({ Type: 'SubscriptionConfirmation', SubscribeURL: url, Token: 't' });
    const good = 'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn&Token=t';
    expect((await post(handshake(good))).status).toBe(200);
    expect(confirmed).toEqual([good]);
    for (const url of [
      'http://sns.eu-west-1.amazonaws.com/',
      'https://sns.evil.example/',
      'https://169.254.169.254/',
    ]) {
      expect((await post(handshake(url))).status).toBe(400);
    }
    expect(confirmed).toHaveLength(1);
  });

  it('does not exist when BOUNCE_WEBHOOK_SECRET is unset', async () => {
    const off = createApp({
      ...harness.resources,
      config: { ...harness.config, BOUNCE_WEBHOOK_SECRET: undefined },
    });
    const response = await off.request('/api/webhooks/bounces', { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
  });
});
