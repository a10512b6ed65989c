import { findSubscriberByEmail, insertSubscriber } from '@digest/db';
import { buildIssue, importPapers } from '@digest/digest';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture } from '../../../../test/support/fixtures.ts';
import { type Harness, openHarness, TEST_ADMIN_TOKEN } from '../../../../test/support/harness.ts';
import { createApp } from '../app.ts';

const ORIGIN = 'http://localhost';
let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function open(env: Record<string, string> = {}) {
  harness = await openHarness(env);
  const app = createApp(harness.resources);
  const request = (path: string, init: RequestInit & { cookie?: string } = {}) =>
    app.request(`${ORIGIN}${path}`, {
      ...init,
      headers: { ...(init.cookie ? { cookie: init.cookie } : {}), ...init.headers },
    });
  const form = (path: string, fields: Record<string, string>, init: RequestInit & { cookie?: string } = {}) =>
    request(path, {
      method: 'POST',
      body: new URLSearchParams(fields),
      ...init,
      headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded', ...init.headers },
    });
  /** The sign-in form's cookie and token, as a browser gets them. */
  const signInForm = async () => {
    const page = await request('/admin/login');
    return {
      cookie: page.headers.get('set-cookie')?.split(';')[0] ?? '',
      csrf: /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '',
    };
  };
  const signIn = async (token = TEST_ADMIN_TOKEN) => {
    const signInPage = await signInForm();
    const response = await form(
      '/admin/login',
      { token, next: '/admin/subscribers', _csrf: signInPage.csrf },
      { cookie: signInPage.cookie },
    );
    const cookie = response.headers.get('set-cookie')?.split(';')[0] ?? '';
    return { response, cookie };
  };
  /** The CSRF token the console puts in its forms. */
  const csrfOf = async (cookie: string) => {
    const page = await (await request('/admin/issues', { cookie })).text();
    return /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  };
  return { harness, app, request, form, signInForm, signIn, csrfOf };
}

describe('admin console sign-in', () => {
  it("names the site's icon, so a browser does not ask for a /favicon.ico that is not there", async () => {
    const { request } = await open();
    const page = await (await request('/admin/login')).text();
    const icon = /<link rel="icon" type="image\/svg\+xml" href="([^"]+)"/.exec(page)?.[1];
    expect(icon).toBeDefined();
    const served = await request(icon as string);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
  });

  it('sends a browser without a session to the sign-in form, and back afterwards', async () => {
    const { request, signIn } = await open();
    const html = { accept: 'text/html,application/xhtml+xml' };
    const page = await request('/admin/subscribers?q=a', { headers: html });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/admin/login?next=%2Fadmin%2Fsubscribers%3Fq%3Da');
    expect(await (await request('/admin/login')).text()).toContain('type="password"');
    // Not a browser page view: refused outright.
    expect((await request('/admin/subscribers')).status).toBe(401);

    const { response, cookie } = await signIn();
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/admin/subscribers');
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/admin/);
    expect(setCookie).toMatch(/Max-Age=28800/);
    expect(setCookie).not.toMatch(/Secure/);
    const console = await request('/admin/subscribers', { cookie });
    expect(console.status).toBe(200);
    // The console's forms carry their Origin (checked as a forgery guard); reader pages send no referrer.
    expect(console.headers.get('referrer-policy')).toBe('same-origin');
    expect((await request('/')).headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('takes the sign-in form only with its own token, from its own origin', async () => {
    const { form, signInForm } = await open();
    const { cookie, csrf } = await signInForm();
    const fields = { token: TEST_ADMIN_TOKEN, _csrf: csrf };
    expect((await form('/admin/login', { ...fields, _csrf: 'forged' }, { cookie })).status).toBe(403);
    expect((await form('/admin/login', fields)).status).toBe(403);
    const foreign = await form('/admin/login', fields, {
      cookie,
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('set-cookie')).toBeNull();
    const signedIn = await form('/admin/login', fields, { cookie });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('set-cookie')).toMatch(/admin_session=[^;]+;.*admin_sign_in=;/s);
  });

  it('marks the cookie Secure when the public URL is https', async () => {
    const { signIn } = await open({ PUBLIC_BASE_URL: 'https://digest.test' });
    const { response } = await signIn();
    expect(response.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('refuses a wrong token, a forged or expired cookie, and stops guessing after 10 attempts', async () => {
    const { request, signIn } = await open();
    const wrong = await signIn('wrong-token');
    expect(wrong.response.status).toBe(401);
    expect(wrong.response.headers.get('set-cookie')).toBeNull();
    expect(await wrong.response.text()).toContain('That is not the admin token.');

    const { cookie } = await signIn();
    const [name, value] = cookie.split('=') as [string, string];
    const [id, expires, signature] = value.split('.') as [string, string, string];
    for (const forged of [
      `${name}=${id}.${Number(expires) + 3600}.${signature}`,
      `${name}=${id}x.${expires}.${signature}`,
      `${name}=${id}.1.${signature}`,
    ]) {
      expect((await request('/admin/issues', { cookie: forged })).status).toBe(401);
    }

    // Two attempts so far; eight more guesses use up the ten.
    for (let attempt = 3; attempt <= 10; attempt++)
      expect((await signIn(`guess-${attempt}`)).response.status).toBe(401);
    const limited = await signIn();
    expect(limited.response.status).toBe(429);
    expect(Number(limited.response.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(limited.response.headers.get('set-cookie')).toBeNull();
  });

  it('signs out only with the form token, and for good: a copy of the cookie opens nothing after', async () => {
    const { request, form, signIn, csrfOf } = await open();
    const { cookie } = await signIn();
    expect((await form('/admin/logout', {}, { cookie })).status).toBe(403);
    const out = await form('/admin/logout', { _csrf: await csrfOf(cookie) }, { cookie });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/admin_session=;.*Max-Age=0/);
    // A copy of the cookie kept from before opens nothing now, nor does signing out twice fail.
    const after = await request('/admin/issues', { cookie, headers: { accept: 'text/html' } });
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toMatch(/^\/admin\/login/);
    expect((await request('/admin/issues', { cookie })).status).toBe(401);
    // Another session of the same admin stays signed in.
    const other = await signIn();
    expect((await request('/admin/issues', { cookie: other.cookie })).status).toBe(200);
  });
});

describe('admin console actions', () => {
  async function withIssue() {
    const opened = await open();
    const { db } = opened.harness.resources;
    await importPapers(db, fixture('hf-daily-papers-sample.json'), { timeZone: 'UTC' });
    for (const email of ['Ann@Example.org', 'anna@example.org', 'bob@example.org']) {
      await insertSubscriber(db, { email, status: 'active', consent_source: 'import' });
    }
    await buildIssue(opened.harness.resources.digest, { cadence: 'daily', date: '2026-05-22' });
    const { cookie } = await opened.signIn();
    return { ...opened, db, cookie, csrf: await opened.csrfOf(cookie) };
  }

  it('asks for confirmation, then changes state only from its own origin with the form token', async () => {
    const { request, form, db, cookie, csrf } = await withIssue();
    const confirmPath = '/admin/issues/daily/2026-05-22/confirm?action=resend-email&email=bob%40example.org';
    const confirm = await (await request(confirmPath, { cookie })).text();
    expect(confirm).toContain('Send the daily issue of 2026-05-22 again to bob@example.org?');

    const path = '/admin/issues/daily/2026-05-22/actions';
    const fields = { action: 'resend-email', email: 'bob@example.org', _csrf: csrf };
    const refused = [
      await form(path, { ...fields, _csrf: 'forged' }, { cookie }),
      await form(path, fields, { cookie, headers: { origin: 'https://evil.example' } }),
      await form(path, fields, { cookie, headers: { origin: 'null' } }),
      await form(path, fields, { cookie, headers: { origin: 'null', 'sec-fetch-site': 'same-site' } }),
      await request(path, { method: 'POST', body: new URLSearchParams(fields), cookie }),
      await form(path, fields),
      // The bearer token opens the queue dashboard only, not the console's pages.
      await form(path, fields, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } }),
    ];
    expect(refused.map((response) => response.status)).toEqual([403, 403, 403, 403, 403, 401, 401]);

    const sameSite = await request(path, {
      method: 'POST',
      body: new URLSearchParams(fields),
      cookie,
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    expect(sameSite.status).toBe(303);
    const notice = sameSite.headers.get('set-cookie')?.split(';')[0] ?? '';
    const page = await (
      await request('/admin/issues/daily/2026-05-22', { cookie: `${cookie}; ${notice}` })
    ).text();
    // Still queued from the build (no worker here): nothing finished to put back.
    expect(page).toContain('Nothing was queued again: bob@example.org had nothing finished to resend.');
    expect(page).toContain('Failures by reason');

    const unknown = await form(path, { ...fields, email: 'nobody@example.org' }, { cookie });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('nobody@example.org');
    expect(await findSubscriberByEmail(db, 'bob@example.org')).toBeDefined();
  });

  it('pauses, resumes and cancels a sending issue, each after its confirmation', async () => {
    const { request, form, cookie, csrf } = await withIssue();
    const path = '/admin/issues/daily/2026-05-22';
    const act = (action: string) => form(`${path}/actions`, { action, _csrf: csrf }, { cookie });
    const show = async () => (await request(path, { cookie })).text();
    expect(await show()).toContain('value="pause"');
    expect(await (await request(`${path}/confirm?action=cancel`, { cookie })).text()).toContain(
      'Cancel the daily issue of 2026-05-22?',
    );
    expect((await act('pause')).status).toBe(303);
    const paused = await show();
    expect(paused).toContain('badge paused');
    expect(paused).toContain('value="resume"');
    expect((await act('pause')).status).toBe(409);
    expect((await act('resume')).status).toBe(303);
    expect(await show()).toContain('badge sending');
    const cancelled = await act('cancel');
    expect(cancelled.status).toBe(303);
    const page = await (
      await request(path, { cookie: `${cookie}; ${cancelled.headers.get('set-cookie')?.split(';')[0]}` })
    ).text();
    expect(page).toContain('The daily issue of 2026-05-22 is cancelled: 3 deliveries skipped.');
    expect(page).not.toContain('value="pause"');
    expect(page).toContain('value="resend-missing"');
  });

  it('searches subscribers by address prefix, case-insensitively, a keyset page at a time', async () => {
    const { request, cookie } = await withIssue();
    const page = await (await request('/admin/subscribers?q=AN&status=active', { cookie })).text();
    expect(page).toContain('Ann@Example.org');
    expect(page).toContain('anna@example.org');
    expect(page).not.toContain('bob@example.org');
    expect(
      await (await request('/admin/subscribers?q=an&after=ann%40example.org', { cookie })).text(),
    ).not.toContain('Ann@Example.org');
    expect((await request('/admin/subscribers?status=nonsense', { cookie })).status).toBe(400);
  });

  it('erases a subscriber only when the address is typed', async () => {
    const { request, form, db, cookie, csrf } = await withIssue();
    const bob = await findSubscriberByEmail(db, 'bob@example.org');
    const path = `/admin/subscribers/${bob?.id}/actions`;
    expect(
      await (await request(`/admin/subscribers/${bob?.id}/confirm?action=erase`, { cookie })).text(),
    ).toContain('Type <strong>bob@example.org</strong> to confirm');
    const mistyped = await form(path, { action: 'erase', typed: 'bob@example.com', _csrf: csrf }, { cookie });
    expect(mistyped.status).toBe(400);
    expect(await findSubscriberByEmail(db, 'bob@example.org')).toBeDefined();
    const erased = await form(path, { action: 'erase', typed: 'BOB@example.org', _csrf: csrf }, { cookie });
    expect(erased.status).toBe(303);
    expect(await findSubscriberByEmail(db, 'bob@example.org')).toBeUndefined();
    expect((await request(`/admin/subscribers/${bob?.id}`, { cookie })).status).toBe(404);
  });

  it('serves the mail from its own URL under a policy that allows no script', async () => {
    const { request, cookie } = await withIssue();
    const mail = await request('/admin/mail?date=2026-05-22&cadence=daily', { cookie });
    expect(mail.status).toBe(200);
    const policy = mail.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).not.toContain('script-src');
    expect(policy).toMatch(/sandbox/);
  });
});

describe('queue dashboard', () => {
  const addJob = (name: string) => `/admin/queues/api/queues/${name}/add`;
  const job = JSON.stringify({ name: 'send-welcome', data: { subscriberId: 1 }, options: {} });

  it('is behind the admin session or the bearer token, no longer Basic auth', async () => {
    const { request, signIn } = await open();
    expect((await request('/admin/queues', { headers: { accept: 'text/html' } })).status).toBe(303);
    expect((await request('/admin/queues')).status).toBe(401);
    const bearer = await request('/admin/queues/api/queues', {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(bearer.status).toBe(200);
    const basic = `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}`;
    expect((await request('/admin/queues/api/queues', { headers: { authorization: basic } })).status).toBe(
      401,
    );
    const { cookie } = await signIn();
    const page = await request('/admin/queues', { cookie });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const api = await request('/admin/queues/api/queues', { cookie });
    expect(JSON.stringify(await api.json())).toContain('send');
  });

  it('is read-only unless QUEUE_DASHBOARD_WRITE=true', async () => {
    const { request, signIn, harness } = await open();
    const { cookie } = await signIn();
    const queueName = Object.values(harness.resources.queues.byName)[0]?.name ?? '';
    const response = await request(addJob(queueName), {
      method: 'POST',
      body: job,
      cookie,
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/read-only/);
  });

  it('takes actions only as same-origin JSON when writable', async () => {
    const { request, signIn, harness } = await open({ QUEUE_DASHBOARD_WRITE: 'true' });
    const { cookie } = await signIn();
    const queue = Object.values(harness.resources.queues.byName)[0];
    const post = (headers: Record<string, string>) =>
      request(addJob(queue?.name ?? ''), { method: 'POST', body: job, cookie, headers });
    expect((await post({ origin: 'https://evil.example', 'content-type': 'application/json' })).status).toBe(
      403,
    );
    expect((await post({ origin: ORIGIN, 'content-type': 'text/plain' })).status).toBe(403);
    expect((await post({ 'content-type': 'application/json' })).status).toBe(403);
    const script = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
    expect((await post({ ...script, 'content-type': 'text/plain' })).status).toBe(403);
    expect(await queue?.count()).toBe(0);
    expect((await post({ origin: ORIGIN, 'content-type': 'application/json' })).status).toBe(200);
    expect(await queue?.count()).toBe(1);
  });
});
