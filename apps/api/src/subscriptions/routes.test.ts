import { deleteSubscriberByEmail, findSubscriberByEmail, type OutboxKind } from '@digest/db';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, openHarness } from '../../../../test/support/harness.ts';
import { queuedOutboxMail } from '../../../../test/support/outbox.ts';
import { createApp } from '../app.ts';

let harness: Harness;
let app: ReturnType<typeof createApp>;

beforeEach(async () => {
  harness = await openHarness({ SIGNUP_RATE_LIMIT: '5' });
  app = createApp(harness.resources);
});

afterEach(() => harness.close());

const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const postForm = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
  app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });

/** A signup from the connection of `peer` (app.request has no socket of its own). */
const fromPeer = (peer: string, headers: Record<string, string>, email: string) =>
  app.request(
    '/api/subscribe',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ email }),
    },
    { incoming: { socket: { remoteAddress: peer } } },
  );

const outboxMail = (kind: OutboxKind) => queuedOutboxMail(harness.resources, kind);

describe('signup', () => {
  it('serves a form that posts email to /subscribe without JavaScript', async () => {
    const response = await app.request('/');
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toMatch(/<form method="post" action="\/subscribe">/);
    expect(page).toMatch(/<input[^>]+name="email"/);
    // Scripts only from files (the Content-Security-Policy allows no inline script).
    expect(page).not.toMatch(/<script(?![^>]*\ssrc=)/);
    expect(page).toMatch(/<input type="hidden" name="timezone"/);
  });

  it('records a pending subscriber with consent and queues one confirmation', async () => {
    const response = await postJson(
      '/api/subscribe',
      { email: 'Reader@Example.org', cadence: 'weekly', keywords: ['LLM', 'agents'], size: 5 },
      { 'user-agent': 'test-agent' },
    );
    expect(response.status).toBe(202);
    const subscriber = await findSubscriberByEmail(harness.resources.db, 'reader@example.org');
    expect(subscriber).toMatchObject({
      status: 'pending',
      cadence: 'weekly',
      keywords: ['llm', 'agents'],
      papers_per_email: 5,
      consent_source: 'api',
      consent_user_agent: 'test-agent',
    });
    expect(await outboxMail('confirmation')).toHaveLength(1);
  });

  it('answers the same for known and unknown addresses', async () => {
    const first = await postJson('/api/subscribe', { email: 'known@example.org' });
    await harness.resources.db.updateTable('subscribers').set({ status: 'active' }).execute();
    const again = await postJson('/api/subscribe', { email: 'known@example.org' });
    const fresh = await postJson('/api/subscribe', { email: 'new@example.org' });
    expect([first.status, again.status, fresh.status]).toEqual([202, 202, 202]);
    expect(await again.json()).toEqual(await fresh.json());
  });

  it('records one subscriber and one confirmation for a form sent twice at once; a minute on, mails again', async () => {
    const { db } = harness.resources;
    const twice = await Promise.all(
      [1, 2].map(() => postJson('/api/subscribe', { email: 'twice@example.org' })),
    );
    expect(twice.map((response) => response.status)).toEqual([202, 202]);
    expect(await outboxMail('confirmation')).toHaveLength(1);

    await sql`update outbox set created_at = now() - interval '61 seconds'`.execute(db);
    const later = await postJson('/api/subscribe', { email: 'Twice@example.org', cadence: 'weekly' });
    expect(later.status).toBe(202);
    expect(await outboxMail('confirmation')).toHaveLength(2);
    const rows = await db.selectFrom('subscribers').selectAll().execute();
    expect(rows).toMatchObject([{ email: 'twice@example.org', status: 'pending', cadence: 'weekly' }]);
  });

  it('takes every address a browser takes, an internationalised domain in punycode', async () => {
    for (const email of ['reader@bücher.example', "o'brien+digest/x=y!#$%&*@example.org"]) {
      expect((await postJson('/api/subscribe', { email })).status).toBe(202);
    }
    const stored = await harness.resources.db
      .selectFrom('subscribers')
      .select('email')
      .orderBy('email')
      .execute();
    expect(stored.map((row) => row.email)).toEqual([
      "o'brien+digest/x=y!#$%&*@example.org",
      'reader@xn--bcher-kva.example',
    ]);
  });

  it('rejects bad input with a 400 error body and stores nothing', async () => {
    const cases: [unknown, RegExp][] = [
      [{ email: 'not-an-address' }, /email/],
      // What a relay would refuse at RCPT TO: the confirmation would only fail.
      [{ email: 'a..b@example.org' }, /email/],
      [{ email: 'a@localhost' }, /email/],
      [{ email: `${'a'.repeat(65)}@example.org` }, /email/],
      [{ email: `a@${'b'.repeat(64)}.example.org` }, /email/],
      [{ email: 'a@example.org\r\nBcc: x@example.org' }, /single line/],
      [{ email: 'a@example.org\r\n' }, /single line/],
      [{ email: 'a@example.org', cadence: 'hourly' }, /cadence/],
      [{ email: 'a@example.org', size: 500 }, /size/],
      [{ email: 'a@example.org', size: true }, /size/],
      [{ email: 'a@example.org', size: [5] }, /size/],
      [{ email: 'a@example.org', size: '0x10' }, /size/],
      [{ email: 'a@example.org', size: '1e1' }, /size/],
      [{ email: 'a@example.org', size: 2.5 }, /size/],
      [{}, /email/],
    ];
    for (const [body, message] of cases) {
      const response = await postJson('/api/subscribe', body);
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as {
        error: { code: string; message: string; issues: unknown[] };
      };
      expect(error.code).toBe('invalid_input');
      expect(error.message).toMatch(message);
      expect(error.issues.length).toBeGreaterThan(0);
    }
    const count = await harness.resources.db
      .selectFrom('subscribers')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    expect(Number(count?.n)).toBe(0);
  });

  it('answers malformed JSON with 400 and an oversized body with 413', async () => {
    const malformed = await postJson('/api/subscribe', '{"email": ');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('invalid_json');

    const body = JSON.stringify({ email: 'a@example.org', padding: 'x'.repeat(70 * 1024) });
    // Streamed (counted as it arrives) and with a declared length (refused before it is read).
    for (const headers of [{}, { 'content-length': String(body.length) }] as Record<string, string>[]) {
      const huge = await postJson('/api/subscribe', body, headers);
      expect(huge.status).toBe(413);
      expect(((await huge.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    }
    const small = JSON.stringify({ email: 'small@example.org' });
    expect((await postJson('/api/subscribe', small, { 'content-length': String(small.length) })).status).toBe(
      202,
    );
    expect(await findSubscriberByEmail(harness.resources.db, 'a@example.org')).toBeUndefined();
  });

  it('limits signups per client per minute, counting only valid ones', async () => {
    for (let attempt = 0; attempt < 6; attempt++) {
      expect((await postJson('/api/subscribe', { email: 'typo' })).status).toBe(400);
    }
    const statuses = [];
    for (let attempt = 0; attempt < 7; attempt++) {
      statuses.push((await postJson('/api/subscribe', { email: `r${attempt}@example.org` })).status);
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429]);
    const limited = await postJson('/api/subscribe', { email: 'late@example.org' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(55);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
  });

  it('handles the HTML form, re-rendering it with the error on bad input', async () => {
    const ok = await postForm('/subscribe', { email: 'form@example.org', cadence: 'daily', keywords: '' });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/Check your inbox/);
    const bad = await postForm('/subscribe', { email: '"><script>x</script>' });
    expect(bad.status).toBe(400);
    const page = await bad.text();
    expect(page).toMatch(/not a valid address/);
    expect(page).not.toContain('<script>x</script>');
  });

  it('takes only application/json at /api/subscribe (415), storing nothing', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const response = await app.request('/api/subscribe', {
        method: 'POST',
        headers: type ? { 'content-type': type } : {},
        body: JSON.stringify({ email: 'plain@example.org' }),
      });
      expect(response.status).toBe(415);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'unsupported_media_type',
      );
    }
    expect(await findSubscriberByEmail(harness.resources.db, 'plain@example.org')).toBeUndefined();
  });

  it('refuses signups a browser sends from a site ALLOWED_ORIGINS does not list (403)', async () => {
    const foreign: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: 'null', 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of foreign) {
      expect((await postJson('/api/subscribe', { email: 'x@example.org' }, headers)).status).toBe(403);
      expect((await postForm('/subscribe', { email: 'x@example.org' }, headers)).status).toBe(403);
    }
    const own = { origin: 'http://digest.test', 'sec-fetch-site': 'same-origin' };
    expect((await postJson('/api/subscribe', { email: 'own@example.org' }, own)).status).toBe(202);
    expect(await findSubscriberByEmail(harness.resources.db, 'x@example.org')).toBeUndefined();
  });

  it('caps confirmation mails at 3 a day per inbox, however the address is spelled, with one answer', async () => {
    const spellings = ['bomb@example.com', 'Bomb+1@example.com', 'bomb+2@EXAMPLE.com', 'bomb+3@example.com'];
    const gmail = ['b.o.m.b@gmail.com', 'bomb+x@googlemail.com', 'BOMB@gmail.com', 'bo.mb+y@gmail.com'];
    const answers = [];
    for (const [index, email] of [...spellings, ...gmail].entries()) {
      // From many clients: the per-client limit is not what stops this.
      const response = await fromPeer(`198.51.100.${index}`, {}, email);
      answers.push([response.status, await response.json()]);
    }
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(answers[0]?.[0]).toBe(202);
    // 6 mails in all: 3 to the example.com inbox, 3 to the Gmail one; the 4th spelling of each changed nothing.
    expect(await outboxMail('confirmation')).toHaveLength(6);
    expect(await findSubscriberByEmail(harness.resources.db, 'bomb+3@example.com')).toBeUndefined();
  });

  it('refuses a form posted from another site', async () => {
    const response = await postForm(
      '/subscribe',
      { email: 'csrf@example.org' },
      { origin: 'https://evil.example' },
    );
    expect(response.status).toBe(403);
    expect(await findSubscriberByEmail(harness.resources.db, 'csrf@example.org')).toBeUndefined();
  });
});

describe('signup from embedding sites and behind proxies', () => {
  beforeEach(async () => {
    await harness.close();
    harness = await openHarness({
      SIGNUP_RATE_LIMIT: '2',
      ALLOWED_ORIGINS: 'https://embed.example',
      TRUST_PROXY: '10.0.0.0/8',
    });
    app = createApp(harness.resources);
  });

  it('accepts a listed site, by JSON (with CORS) and by form', async () => {
    const json = await postJson(
      '/api/subscribe',
      { email: 'e1@example.org' },
      { origin: 'https://embed.example' },
    );
    expect(json.status).toBe(202);
    expect(json.headers.get('access-control-allow-origin')).toBe('https://embed.example');
    const form = await postForm(
      '/subscribe',
      { email: 'e2@example.org' },
      { origin: 'https://embed.example' },
    );
    expect(form.status).toBe(200);
    const other = await postJson(
      '/api/subscribe',
      { email: 'e3@example.org' },
      { origin: 'https://evil.example' },
    );
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("answers a listed site's preflight, and lets its page read an error", async () => {
    const preflight = (origin: string) =>
      app.request('/api/subscribe', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    const listed = await preflight('https://embed.example');
    expect(listed.status).toBe(204);
    expect(Object.fromEntries(listed.headers)).toMatchObject({
      'access-control-allow-origin': 'https://embed.example',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type',
      'access-control-max-age': '600',
      vary: 'Origin, Access-Control-Request-Headers',
    });
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();

    const invalid = await postJson('/api/subscribe', { email: 'nope' }, { origin: 'https://embed.example' });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('access-control-allow-origin')).toBe('https://embed.example');
    expect(invalid.headers.get('vary')).toBe('Origin');
  });

  it('counts each client behind a trusted proxy on its own, records its address, and ignores forged hops', async () => {
    const proxy = '10.1.1.1';
    for (const email of ['a1@example.org', 'a2@example.org']) {
      expect((await fromPeer(proxy, { 'x-forwarded-for': '198.51.100.1' }, email)).status).toBe(202);
    }
    // The same client forging another first hop is still counted as itself.
    const forged = await fromPeer(proxy, { 'x-forwarded-for': '1.2.3.4, 198.51.100.1' }, 'a3@example.org');
    expect(forged.status).toBe(429);
    expect(Number(forged.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await fromPeer(proxy, { 'x-forwarded-for': '198.51.100.2' }, 'b1@example.org')).status).toBe(202);
    const consent = await findSubscriberByEmail(harness.resources.db, 'b1@example.org');
    expect(consent?.consent_ip).toBe('198.51.100.2');

    // An untrusted peer's X-Forwarded-For is not believed.
    const direct = { 'x-forwarded-for': '198.51.100.3' };
    expect((await fromPeer('203.0.113.5', direct, 'c1@example.org')).status).toBe(202);
    expect((await findSubscriberByEmail(harness.resources.db, 'c1@example.org'))?.consent_ip).toBe(
      '203.0.113.5',
    );
  });

  it('counts IPv6 clients by /64, so rotating addresses does not escape the limit', async () => {
    const statuses = [];
    for (const suffix of ['1', '2', '3']) {
      statuses.push((await fromPeer(`2001:db8:5:6::${suffix}`, {}, `v${suffix}@example.org`)).status);
    }
    expect(statuses).toEqual([202, 202, 429]);
    expect((await fromPeer('2001:db8:5:7::1', {}, 'w@example.org')).status).toBe(202);
  });
});

describe('confirm and unsubscribe', () => {
  async function pendingSubscriber() {
    await postJson('/api/subscribe', { email: 'flow@example.org' });
    return (await findSubscriberByEmail(harness.resources.db, 'flow@example.org'))!;
  }

  it('shows on the confirmation page the keywords its mail only counts, escaped', async () => {
    await postJson('/api/subscribe', {
      email: 'kw@example.org',
      cadence: 'weekly',
      keywords: ['diffusion', 'a&b'],
    });
    const subscriber = (await findSubscriberByEmail(harness.resources.db, 'kw@example.org'))!;
    const token = harness.resources.tokens.sign('confirm', subscriber.id, 3600);
    const page = await (await app.request(`/confirm/${token}`)).text();
    expect(page).toContain('receive Daily Papers once a week, matching: diffusion, a&amp;b.');
  });

  it('GET shows a button and changes nothing; POST confirms', async () => {
    const subscriber = await pendingSubscriber();
    const token = harness.resources.tokens.sign('confirm', subscriber.id, 3600);

    const shown = await app.request(`/confirm/${token}`);
    expect(shown.status).toBe(200);
    const page = await shown.text();
    expect(page).toMatch(new RegExp(`<form method="post" action="/confirm/${token.replace(/\./g, '\\.')}">`));
    expect(page).toContain('receive Daily Papers every morning.');
    expect((await findSubscriberByEmail(harness.resources.db, 'flow@example.org'))?.status).toBe('pending');

    // A person and a mail scanner's browser at once: one confirmation, one welcome.
    const confirmed = await Promise.all(
      [1, 2, 3].map(() => app.request(`/confirm/${token}`, { method: 'POST' })),
    );
    expect(confirmed.map((response) => response.status)).toEqual([200, 200, 200]);
    const active = await findSubscriberByEmail(harness.resources.db, 'flow@example.org');
    expect(active).toMatchObject({ status: 'active' });
    expect(active?.confirmed_at).toBeInstanceOf(Date);
    expect(await outboxMail('welcome')).toHaveLength(1);
  });

  it('rejects forged, wrong-purpose and expired tokens and changes nothing', async () => {
    const subscriber = await pendingSubscriber();
    const tokens = harness.resources.tokens;
    const forged = `${subscriber.id.toString(36)}.0.AAAAAAAAAAAAAAAAAAAAAA`;
    const wrongPurpose = tokens.sign('unsubscribe', subscriber.id);
    for (const token of [forged, wrongPurpose, 'garbage', '%3Cscript%3E']) {
      const response = await app.request(`/confirm/${token}`, { method: 'POST' });
      expect(response.status).toBe(400);
    }
    const unsubscribeWithConfirmToken = await app.request(
      `/unsubscribe/${tokens.sign('confirm', subscriber.id, 60)}`,
      {
        method: 'POST',
      },
    );
    expect(unsubscribeWithConfirmToken.status).toBe(400);
    expect((await findSubscriberByEmail(harness.resources.db, 'flow@example.org'))?.status).toBe('pending');
  });

  it('unsubscribes at once on a one-click POST, idempotently, with no Origin or cookie', async () => {
    const subscriber = await pendingSubscriber();
    await harness.resources.db.updateTable('subscribers').set({ status: 'active' }).execute();
    const token = harness.resources.tokens.sign('unsubscribe', subscriber.id);

    const page = await app.request(`/unsubscribe/${token}`);
    expect(await page.text()).toMatch(/<button type="submit">Unsubscribe<\/button>/);
    expect((await findSubscriberByEmail(harness.resources.db, 'flow@example.org'))?.status).toBe('active');

    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await postForm(`/unsubscribe/${token}`, { 'List-Unsubscribe': 'One-Click' });
      expect(response.status).toBe(200);
    }
    const gone = await findSubscriberByEmail(harness.resources.db, 'flow@example.org');
    expect(gone?.status).toBe('unsubscribed');
    expect(gone?.unsubscribed_at).toBeInstanceOf(Date);
  });

  it('answers a genuine unsubscribe link of an erased subscriber with success: they are on no list', async () => {
    const subscriber = await pendingSubscriber();
    const token = harness.resources.tokens.sign('unsubscribe', subscriber.id);
    await deleteSubscriberByEmail(harness.resources.db, 'flow@example.org');

    expect((await app.request(`/unsubscribe/${token}`)).status).toBe(200);
    const response = await postForm(`/unsubscribe/${token}`, { 'List-Unsubscribe': 'One-Click' });
    expect(response.status).toBe(200);
    expect(await findSubscriberByEmail(harness.resources.db, 'flow@example.org')).toBeUndefined();
  });

  it('welcomes again someone who unsubscribed, signed up and confirmed once more', async () => {
    const confirmAndUnsubscribe = async () => {
      const { id } = (await findSubscriberByEmail(harness.resources.db, 'flow@example.org'))!;
      const { tokens } = harness.resources;
      expect(
        (await app.request(`/confirm/${tokens.sign('confirm', id, 60)}`, { method: 'POST' })).status,
      ).toBe(200);
      const welcomes = (await outboxMail('welcome')).length;
      await postForm(`/unsubscribe/${tokens.sign('unsubscribe', id)}`, { 'List-Unsubscribe': 'One-Click' });
      return welcomes;
    };
    await pendingSubscriber();
    expect(await confirmAndUnsubscribe()).toBe(1);
    await postJson('/api/subscribe', { email: 'flow@example.org' });
    expect(await confirmAndUnsubscribe()).toBe(2);

    await postJson('/api/subscribe', { email: 'flow@example.org' });
    const { id } = (await findSubscriberByEmail(harness.resources.db, 'flow@example.org'))!;
    await app.request(`/confirm/${harness.resources.tokens.sign('confirm', id, 60)}`, { method: 'POST' });
    const back = await findSubscriberByEmail(harness.resources.db, 'flow@example.org');
    expect(back).toMatchObject({ status: 'active', unsubscribed_at: null });
  });

  it('shows and saves preferences', async () => {
    const subscriber = await pendingSubscriber();
    const token = harness.resources.tokens.sign('preferences', subscriber.id);
    expect((await app.request(`/preferences/${token}`)).status).toBe(200);
    const saved = await postForm(`/preferences/${token}`, {
      cadence: 'weekly',
      keywords: 'vision, RL',
      size: '3',
      paused: 'on',
    });
    expect(saved.status).toBe(200);
    expect(await findSubscriberByEmail(harness.resources.db, 'flow@example.org')).toMatchObject({
      cadence: 'weekly',
      keywords: ['vision', 'rl'],
      papers_per_email: 3,
    });
    const bad = await postForm(`/preferences/${token}`, { cadence: 'hourly' });
    expect(bad.status).toBe(400);
  });
});
