import { createServer, type Server } from 'node:http';
import { findSubscriberByEmail } from '@digest/db';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSite, openBrowserSite } from './support/browser.ts';
import { type Harness, openHarness } from './support/harness.ts';
import { freePort } from './support/processes.ts';

/**
 * Other sites in a real browser: a hostile page posts to the signup the ways a page can without
 * asking (a text/plain form dressed as JSON, a plain form, fetch); an embedding site listed in
 * ALLOWED_ORIGINS may. The sites are served from `localhost`, the API from `127.0.0.1`.
 */
let harness: Harness;
let site: BrowserSite;
let sites: Server[] = [];
let evilOrigin: string;
let embedOrigin: string;

/** A site serving one page at `/`. */
async function serveSite(port: number, page: () => string): Promise<Server> {
  const server = createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(page());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

let nextPage = '';

beforeAll(async () => {
  const [evilPort, embedPort] = [await freePort(), await freePort()];
  evilOrigin = `http://localhost:${evilPort}`;
  embedOrigin = `http://localhost:${embedPort}`;
  harness = await openHarness({ ALLOWED_ORIGINS: embedOrigin });
  site = await openBrowserSite(harness);
  sites = [await serveSite(evilPort, () => nextPage), await serveSite(embedPort, () => nextPage)];
});

afterAll(async () => {
  await site?.close();
  await Promise.all(sites.map((server) => new Promise((resolve) => server.close(resolve))));
  await harness?.close();
});

/** Opens `html` on `origin` and returns the status of the API's answer to what it sends. */
async function statusOf(page: Page, origin: string, html: string): Promise<number> {
  nextPage = html;
  const answer = page.waitForResponse((response) => response.url().startsWith(site.baseUrl));
  await page.goto(`${origin}/`);
  return (await answer).status();
}

const autoSubmit = '<script>document.forms[0].submit()</script>';

describe('signup from other sites, in a real browser', () => {
  it('refuses a hostile page’s text/plain form, plain form and fetch, and stores nothing', async () => {
    const page = await site.browser.newPage();
    const jsonAsText = `<form method="post" enctype="text/plain" action="${site.baseUrl}/api/subscribe">
      <input name='{"email":"victim1@example.org","pad":"' value='"}'></form>${autoSubmit}`;
    expect(await statusOf(page, evilOrigin, jsonAsText)).toBe(403);

    const form = `<form method="post" action="${site.baseUrl}/subscribe">
      <input name="email" value="victim2@example.org"></form>${autoSubmit}`;
    expect(await statusOf(page, evilOrigin, form)).toBe(403);

    nextPage = '<p>fetch</p>';
    await page.goto(`${evilOrigin}/`);
    const fetched = await page.evaluate(async (api) => {
      try {
        const response = await fetch(`${api}/api/subscribe`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'victim3@example.org' }),
        });
        return `answered ${response.status}`;
      } catch {
        return 'blocked';
      }
    }, site.baseUrl);
    expect(fetched).toBe('blocked');

    for (const email of ['victim1@example.org', 'victim2@example.org', 'victim3@example.org']) {
      expect(await findSubscriberByEmail(harness.resources.db, email)).toBeUndefined();
    }
    await page.close();
  });

  it('accepts a site ALLOWED_ORIGINS lists, by form and by fetch', async () => {
    const page = await site.browser.newPage();
    const form = `<form method="post" action="${site.baseUrl}/subscribe">
      <input name="email" value="friend1@example.org"></form>${autoSubmit}`;
    expect(await statusOf(page, embedOrigin, form)).toBe(200);

    nextPage = '<p>fetch</p>';
    await page.goto(`${embedOrigin}/`);
    const fetched = await page.evaluate(async (api) => {
      const response = await fetch(`${api}/api/subscribe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'friend2@example.org' }),
      });
      return response.status;
    }, site.baseUrl);
    expect(fetched).toBe(202);
    for (const email of ['friend1@example.org', 'friend2@example.org']) {
      expect((await findSubscriberByEmail(harness.resources.db, email))?.status).toBe('pending');
    }
    await page.close();
  });
});
