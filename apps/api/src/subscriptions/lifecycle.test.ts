import { findSubscriberByEmail, insertSubscriber, type OutboxKind, upsertPapers } from '@digest/db';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, openHarness, TEST_ADMIN_TOKEN } from '../../../../test/support/harness.ts';
import { queuedOutboxMail } from '../../../../test/support/outbox.ts';
import { createApp } from '../app.ts';

let harness: Harness;
let app: ReturnType<typeof createApp>;

beforeEach(async () => {
  harness = await openHarness({ ALLOWED_ORIGINS: 'https://friends.example.net' });
  app = createApp(harness.resources);
});

afterEach(() => harness.close());

const postForm = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
  app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });

const reader = (status: 'pending' | 'active' = 'active') =>
  insertSubscriber(harness.resources.db, {
    email: 'reader@example.org',
    status,
    consent_source: 'form',
    keywords: ['vision'],
  });

const outboxMail = (kind: OutboxKind) => queuedOutboxMail(harness.resources, kind);

describe('time zone', () => {
  it('stores the IANA zone of a signup in its canonical spelling and shows it to admins', async () => {
    const response = await app.request('/api/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'tokyo@example.org', timezone: 'asia/tokyo' }),
    });
    expect(response.status).toBe(202);
    expect((await findSubscriberByEmail(harness.resources.db, 'tokyo@example.org'))?.timezone).toBe(
      'Asia/Tokyo',
    );

    const listed = await app.request('/api/admin/subscribers', {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    const body = (await listed.json()) as { subscribers: { email: string; timezone: string | null }[] };
    expect(body.subscribers).toEqual([
      expect.objectContaining({ email: 'tokyo@example.org', timezone: 'Asia/Tokyo' }),
    ]);
  });

  it.each(['Mars/Olympus', '+05:00', 'Europe/Paris\nBcc: x', 42])(
    'refuses %j and stores nothing',
    async (timezone) => {
      const response = await app.request('/api/subscribe', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'zone@example.org', timezone }),
      });
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: { message: string } };
      expect(error.message).toMatch(/timezone/);
      expect(await findSubscriberByEmail(harness.resources.db, 'zone@example.org')).toBeUndefined();
    },
  );

  it('takes the zone from the signup form field', async () => {
    const response = await postForm('/subscribe', {
      email: 'la@example.org',
      timezone: 'America/Los_Angeles',
    });
    expect(response.status).toBe(200);
    expect((await findSubscriberByEmail(harness.resources.db, 'la@example.org'))?.timezone).toBe(
      'America/Los_Angeles',
    );
  });
});

describe('the signup form embedded elsewhere', () => {
  it('accepts a post from a site in ALLOWED_ORIGINS and refuses any other site', async () => {
    const friend = await postForm(
      '/subscribe',
      { email: 'embed@example.org' },
      { origin: 'https://friends.example.net' },
    );
    expect(friend.status).toBe(200);
    const stranger = await postForm(
      '/subscribe',
      { email: 'evil@example.org' },
      { origin: 'https://evil.example.com' },
    );
    expect(stranger.status).toBe(403);
    expect(await findSubscriberByEmail(harness.resources.db, 'evil@example.org')).toBeUndefined();
  });
});

describe('errors people can read', () => {
  it('keeps what was typed on the signup form and says what to fix next to the field', async () => {
    const response = await postForm('/subscribe', { email: 'not an address', keywords: 'vision, robots' });
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toContain('Email is not a valid address. Enter an email address such as name@example.org.');
    expect(page).toMatch(
      /<input id="email"[^>]+value="not an address"[^>]+aria-describedby="email-error"[^>]+aria-invalid="true"/,
    );
    expect(page).toContain('value="vision, robots"');
    expect(page).not.toContain('Invalid subscription:');
  });

  it('keeps a refused preferences form on the preferences page, as typed, and saves nothing', async () => {
    const subscriber = await reader();
    const token = harness.resources.tokens.sign('preferences', subscriber.id);
    const response = await postForm(`/preferences/${token}`, {
      cadence: 'weekly',
      keywords: 'graphs',
      size: '500',
      timezone: 'Europe/Paris',
    });
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toContain('<h1>Your preferences</h1>');
    expect(page).toContain(`action="/preferences/${token}"`);
    expect(page).toMatch(/Size must be between 1 and 50\./);
    expect(page).toContain('value="500"');
    expect(page).toContain('value="graphs"');
    expect(page).toMatch(/value="weekly" checked/);
    expect(page).toMatch(/href="http:\/\/digest\.test\/unsubscribe\/[\w.-]+"/);
    expect(await findSubscriberByEmail(harness.resources.db, 'reader@example.org')).toMatchObject({
      cadence: 'daily',
      keywords: ['vision'],
      timezone: null,
    });
  });

  it('saves a time zone from the preferences form', async () => {
    const subscriber = await reader();
    const token = harness.resources.tokens.sign('preferences', subscriber.id);
    const response = await postForm(`/preferences/${token}`, { cadence: 'daily', timezone: 'Asia/Tokyo' });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('value="Asia/Tokyo"');
    expect((await findSubscriberByEmail(harness.resources.db, 'reader@example.org'))?.timezone).toBe(
      'Asia/Tokyo',
    );
  });
});

describe('lifecycle pages', () => {
  it('an expired confirmation link offers a fresh one, which is mailed', async () => {
    const subscriber = await reader('pending');
    const expired = harness.resources.tokens.sign('confirm', subscriber.id, -60);
    const shown = await app.request(`/confirm/${expired}`);
    expect(shown.status).toBe(410);
    expect(await shown.text()).toContain(`<form method="post" action="/confirm/${expired}/renew">`);
    // The expired link confirms nothing.
    expect((await app.request(`/confirm/${expired}`, { method: 'POST' })).status).toBe(410);
    expect((await findSubscriberByEmail(harness.resources.db, 'reader@example.org'))?.status).toBe('pending');

    const renewed = await app.request(`/confirm/${expired}/renew`, { method: 'POST' });
    expect(renewed.status).toBe(200);
    expect(await renewed.text()).toContain('A new confirmation link is on its way');
    expect(await outboxMail('confirmation')).toHaveLength(1);

    const forged = `${subscriber.id.toString(36)}.1.AAAAAAAAAAAAAAAAAAAAAA`;
    expect((await app.request(`/confirm/${forged}/renew`, { method: 'POST' })).status).toBe(400);
  });

  it('the confirmed page gives next steps with the preferences link', async () => {
    const subscriber = await reader('pending');
    const token = harness.resources.tokens.sign('confirm', subscriber.id, 3600);
    const page = await (await app.request(`/confirm/${token}`, { method: 'POST' })).text();
    expect(page).toContain('<h1>You are subscribed</h1>');
    expect(page).toMatch(/href="http:\/\/digest\.test\/preferences\/[\w.-]+"/);
    expect(page).toContain('href="/archive"');
  });

  it('the unsubscribed page offers undo as a fresh opt-in', async () => {
    const subscriber = await reader();
    const token = harness.resources.tokens.sign('unsubscribe', subscriber.id);
    const page = await (await postForm(`/unsubscribe/${token}`, { 'List-Unsubscribe': 'One-Click' })).text();
    expect(page).toContain('<form method="post" action="/subscribe">');
    expect(page).toContain('<input type="hidden" name="email" value="reader@example.org" />');

    const undo = await postForm('/subscribe', { email: 'reader@example.org' });
    expect(undo.status).toBe(200);
    expect((await findSubscriberByEmail(harness.resources.db, 'reader@example.org'))?.status).toBe('pending');
    expect(await outboxMail('confirmation')).toHaveLength(1);
  });

  it('"email me my data" queues the export mail; "delete me" erases the subscriber', async () => {
    const subscriber = await reader();
    const token = harness.resources.tokens.sign('preferences', subscriber.id);
    const exported = await postForm(`/preferences/${token}/export`, {});
    expect(exported.status).toBe(200);
    expect(await exported.text()).toContain('A copy of your data is on its way to reader@example.org.');
    expect((await outboxMail('data-export')).map((mail) => mail.subscriber_id)).toEqual([subscriber.id]);

    // Without the confirming tick, nothing is erased and the page says why.
    const unticked = await postForm(`/preferences/${token}/delete`, {});
    expect(unticked.status).toBe(400);
    expect(await unticked.text()).toContain('Tick the box to confirm');
    expect(await findSubscriberByEmail(harness.resources.db, 'reader@example.org')).toBeDefined();

    const deleted = await postForm(`/preferences/${token}/delete`, { confirm: 'on' });
    expect(deleted.status).toBe(200);
    expect(await deleted.text()).toContain('Your data is deleted');
    expect(await findSubscriberByEmail(harness.resources.db, 'reader@example.org')).toBeUndefined();
    // The link of an erased subscriber is no longer good for anything.
    expect((await postForm(`/preferences/${token}/delete`, { confirm: 'on' })).status).toBe(400);
  });
});

describe('the landing page', () => {
  it('suggests the most frequent ai_keywords that the form accepts', async () => {
    const paper = (n: number, keywords: string[]) => ({
      external_id: `kw-${n}`,
      title: `Paper ${n}`,
      featured_at: new Date('2026-05-22T08:00:00Z'),
      ai_keywords: keywords,
    });
    await upsertPapers(harness.resources.db, [
      paper(1, ['Diffusion', 'agents']),
      paper(2, ['diffusion', '<b>x</b>']),
      paper(3, ['diffusion', 'agents', 'robotics']),
    ]);
    const page = await (await app.request('/')).text();
    expect(page).toContain('Popular: diffusion, agents, robotics');
    expect(page).toContain('data-keyword="diffusion"');
    expect(page).not.toMatch(/<b>x<\/b>|&lt;b&gt;/);
  });
});
