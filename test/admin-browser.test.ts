import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countDeliveriesByStatus, findIssue, findSubscriberByEmail, insertSubscriber } from '@digest/db';
import { importPapers } from '@digest/digest';
import { type ServerType, serve } from '@hono/node-server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../apps/api/src/app.ts';
import { type RunningWorkers, startWorkers } from '../apps/worker/src/workers.ts';
import { fixture } from './support/fixtures.ts';
import { type Harness, openHarness, TEST_ADMIN_TOKEN } from './support/harness.ts';

const SCREENSHOTS = new URL('../docs/screenshots/', import.meta.url);
const DATE = '2026-05-22';
const READERS = ['ada@example.org', 'grace@example.org', 'linus@example.org', 'ken@example.org'];
const FAILING = ['broken.inbox@failing.example', 'full.mailbox@failing.example'];

let harness: Harness;
let workers: RunningWorkers;
let server: ServerType;
let elsewhere: Server;
let browser: Browser;
let baseUrl: string;
let otherOrigin: string;

beforeAll(async () => {
  harness = await openHarness();
  const { db } = harness.resources;
  await importPapers(db, fixture('hf-daily-papers-sample.json'), { timeZone: 'UTC' });
  for (const email of [...READERS, ...FAILING]) {
    await insertSubscriber(db, {
      email,
      status: 'active',
      consent_source: 'form',
      consent_ip: '203.0.113.7',
      consent_user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
    });
  }
  // Mailboxes that fail for now and recover later (a 550 would bounce them for good).
  harness.smtp.rejectRecipient((address) => address.endsWith('@failing.example'), 552, '5.2.2 mailbox full');
  workers = await startWorkers(harness.resources);
  server = serve({ fetch: createApp(harness.resources).fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Another site (another origin): a page with a form that posts to the console.
  elsewhere = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html');
    response.end(`<!doctype html><form method="post" action="${baseUrl}/admin/issues/daily/${DATE}/actions">
      <input type="hidden" name="action" value="send" /><button type="submit">Win a prize</button></form>`);
  });
  await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
  otherOrigin = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => elsewhere?.close(resolve));
  await new Promise((resolve) => server?.close(resolve));
  await workers?.close();
  await harness?.close();
});

async function signedIn(width = 1280): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/admin`);
  await page.getByLabel('Admin token').fill(TEST_ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${baseUrl}/admin/issues`);
  return page;
}

async function shoot(page: Page, name: string): Promise<unknown> {
  // The mail frame loads on its own: wait for its content so the picture shows it.
  const path = new URL(`admin-${name}.png`, SCREENSHOTS).pathname;
  if ((await page.locator('iframe.mail').count()) === 0) return page.screenshot({ path, fullPage: true });
  // A sandboxed frame is painted by its own process, which a full-page capture leaves blank: the
  // viewport is made as tall as the page instead.
  const viewport = page.viewportSize() ?? { width: 1280, height: 900 };
  const height = await page.locator('body').evaluate((body) => body.scrollHeight);
  await page.setViewportSize({ width: viewport.width, height });
  await page.frameLocator('iframe.mail').locator('table').first().waitFor();
  await page.screenshot({ path });
  await page.setViewportSize(viewport);
}

/** The number shown for `status` in the issue page's live counts. */
const shownCount = (page: Page, status: string) =>
  page.locator(`#issue-counts .count.${status} dd`).innerText().then(Number);

describe('the admin console in a real browser', () => {
  it('refuses a wrong token', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${baseUrl}/admin/issues`);
    await page.waitForURL(/\/admin\/login/);
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toBe('That is not the admin token.');
    await shoot(page, 'sign-in-refused');
    await page.goto(`${baseUrl}/admin/subscribers`);
    expect(page.url()).toMatch(/\/admin\/login\?next=/);
    await page.context().close();
  });

  it('sends an issue, shows its failures, resends them once the mailboxes recover', async () => {
    const page = await signedIn();
    await page.getByLabel('Date').fill(DATE);
    await page.getByRole('button', { name: 'Send an issue now…' }).click();
    await expect(page.locator('main p').first().innerText()).resolves.toMatch(
      /Build the daily issue of 2026-05-22/,
    );
    await page.getByRole('button', { name: 'Send now' }).click();
    await expect(page.getByRole('status').innerText()).resolves.toMatch(/queued for building and sending/);

    // The list refreshes itself (external script) until the issue is sent.
    const row = page.locator('#issues-live tr', { hasText: DATE });
    await row.locator('.badge.sent').waitFor({ timeout: 30_000 });
    await expect(row.locator('td.num').nth(1).innerText()).resolves.toBe('2');
    await shoot(page, 'issues');

    await row.getByRole('link', { name: DATE }).click();
    await expect(shownCount(page, 'failed')).resolves.toBe(2);
    await expect(shownCount(page, 'sent')).resolves.toBe(READERS.length);
    await expect(page.locator('section[aria-label="Failures by reason"]').innerText()).resolves.toMatch(
      /552 5\.2\.2 mailbox full[\s\S]*2/,
    );
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect(page.locator('section[aria-label="Deliveries"] tbody tr').count()).resolves.toBe(2);
    await shoot(page, 'issue');

    harness.smtp.acceptAll();
    await page.getByRole('button', { name: 'Resend failed…' }).click();
    await shoot(page, 'confirm');
    await page.getByRole('button', { name: 'Resend failed' }).click();
    await expect(page.getByRole('status').innerText()).resolves.toBe(
      '2 deliveries queued again for the failed deliveries.',
    );
    // No reload: the counts update in place.
    const everyone = String(READERS.length + FAILING.length);
    await page.locator('#issue-counts .count.sent dd', { hasText: everyone }).waitFor({ timeout: 30_000 });
    await expect(shownCount(page, 'failed')).resolves.toBe(0);
    const issue = await findIssue(harness.resources.db, 'daily', DATE);
    expect(await countDeliveriesByStatus(harness.resources.db, issue!.id)).toMatchObject({
      sent: 6,
      failed: 0,
    });
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${baseUrl}/admin/issues/daily/${DATE}`);
    await shoot(page, 'issue-375');
    await page.context().close();
  });

  it('finds a subscriber by address prefix and erases them after a typed confirmation', async () => {
    const page = await signedIn();
    await page.getByRole('navigation').getByRole('link', { name: 'Subscribers' }).click();
    await page.getByLabel('Address starts with').fill('GRA');
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = page.locator('section[aria-label="Subscribers"] tbody tr');
    await expect(rows.count()).resolves.toBe(1);
    await shoot(page, 'subscribers');

    await rows.getByRole('link', { name: 'grace@example.org' }).click();
    await expect(page.locator('section[aria-label="Delivery history"]').innerText()).resolves.toMatch(/sent/);
    await shoot(page, 'subscriber');
    await page.getByRole('button', { name: 'Erase…' }).click();
    await page.getByLabel('Type grace@example.org to confirm').fill('grace@example.com');
    await page.getByRole('button', { name: 'Erase for good' }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(
      /Type the address grace@example.org exactly/,
    );
    expect(await findSubscriberByEmail(harness.resources.db, 'grace@example.org')).toBeDefined();

    await page.goBack();
    await page.getByLabel('Type grace@example.org to confirm').fill('grace@example.org');
    await page.getByRole('button', { name: 'Erase for good' }).click();
    await expect(page.getByRole('status').innerText()).resolves.toBe('grace@example.org was erased.');
    expect(await findSubscriberByEmail(harness.resources.db, 'grace@example.org')).toBeUndefined();

    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${baseUrl}/admin/subscribers?q=a`);
    await shoot(page, 'subscribers-375');
    await page.context().close();
  });

  it('shows the papers of a date as the digest ranks them', async () => {
    const page = await signedIn();
    await page.getByRole('navigation').getByRole('link', { name: 'Papers' }).click();
    await page.getByLabel('Date').fill(DATE);
    await page.getByRole('button', { name: 'Show' }).click();
    await expect(page.locator('section[aria-label="Ranked papers"] tbody tr').count()).resolves.toBe(5);
    await shoot(page, 'papers');

    // 46 flat records, 2 of them unusable: the report names each by its index.
    await page
      .getByLabel('Hugging Face daily_papers JSON file')
      .setInputFiles(new URL('fixtures/daily-papers.json', import.meta.url).pathname);
    await page.getByRole('button', { name: 'Import' }).click();
    await expect(page.getByRole('status').innerText()).resolves.toBe(
      'daily-papers.json: 44 new, 0 updated, 2 rejected.',
    );
    await expect(page.locator('section[aria-label="Rejected records"] tbody tr').count()).resolves.toBe(2);
    await shoot(page, 'papers-import');

    await page.getByRole('link', { name: 'Preview the issue' }).click();
    await expect(page.locator('.lede').innerText()).resolves.toMatch(/^Daily Papers — 22 May 2026/);
    const mail = page.frameLocator('iframe.mail');
    await expect(mail.locator('body').innerText()).resolves.toMatch(/Knowledge Composition/);
    await page.context().close();
  });

  it('opens the queue dashboard in the session, read-only', async () => {
    const page = await signedIn();
    const blocked: string[] = [];
    page.on('console', (message) => {
      // Only its third-party web font may be refused.
      if (/Content Security Policy/i.test(message.text()) && !/fonts\./.test(message.text())) {
        blocked.push(message.text());
      }
    });
    await page.getByRole('navigation').getByRole('link', { name: 'Queues' }).click();
    await page.getByRole('link', { name: 'send', exact: true }).first().waitFor();
    expect(blocked).toEqual([]);
    await shoot(page, 'queues');
    await page.context().close();
  });

  it('refuses a form posted from another site, even with the session cookie', async () => {
    const page = await signedIn();
    const before = await harness.resources.queues.queueOf('build-digest').count();
    await page.goto(otherOrigin);
    const [response] = await Promise.all([
      page.waitForResponse((candidate) => candidate.url().endsWith('/actions')),
      page.getByRole('button', { name: 'Win a prize' }).click(),
    ]);
    expect(response.status()).toBe(403);
    await expect(page.getByRole('alert').innerText()).resolves.toBe(
      'This request did not come from the admin console.',
    );
    expect(await harness.resources.queues.queueOf('build-digest').count()).toBe(before);
    await page.context().close();
  });
});
