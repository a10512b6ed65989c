/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdirSync, readFileSync } from 'node:fs';
import { findIssue, insertSubscriber } from '@digest/db';
import { buildIssue, importPapers, issueMail, publicCopy } from '@digest/digest';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSite, openBrowserSite } from './support/browser.ts';
import { type Harness, openHarness } from './support/harness.ts';

/**
 * Every page a reader sees, and the digest, in a real browser at phone and desktop widths, light
 * and dark: nothing runs off the screen, every control has a name, the dark scheme applies. The
 * screenshots land in docs/screenshots (the README shows some of them).
 */
const SHOTS = new URL('../docs/screenshots/', import.meta.url);
const VIEWPORTS = [
  { name: 'phone', width: 375, height: 812 },
  { name: 'desktop', width: 1280, height: 900 },
] as const;
const SCHEMES = ['light', 'dark'] as const;

let harness: Harness;
let site: BrowserSite;
let browser: Browser;
let baseUrl: string;
let tokens: { confirm: string; expired: string; unsubscribe: string; preferences: string };
let digestHtml: string;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  harness = await openHarness({ MAIL_POSTAL_ADDRESS: 'Daily Papers, 12 Example Street, 75011 Paris' });
  const { db, digest } = harness.resources;
  const demo = JSON.parse(readFileSync(new URL('../infra/seed/demo-papers.json', import.meta.url), 'utf8'));
  await importPapers(db, demo, { timeZone: 'UTC' });
  for (const date of ['2026-05-22', '2026-05-23', '2026-05-24']) {
    await buildIssue(digest, { cadence: 'daily', date });
  }
  const issue = await findIssue(db, 'daily', '2026-05-23');
  digestHtml = publicCopy(issueMail(issue!), 'http://digest.test/').html;

  const pending = await insertSubscriber(db, {
    email: 'new@example.org',
    status: 'pending',
    consent_source: 'form',
  });
  const active = await insertSubscriber(db, {
    email: 'reader@example.org',
    status: 'active',
    consent_source: 'form',
    keywords: ['brain', 'llm'],
    timezone: 'Asia/Tokyo',
  });
  const signer = harness.resources.tokens;
  tokens = {
    confirm: signer.sign('confirm', pending.id, 3600),
    expired: signer.sign('confirm', pending.id, -60),
    unsubscribe: signer.sign('unsubscribe', active.id),
    preferences: signer.sign('preferences', active.id),
  };

  site = await openBrowserSite(harness);
  ({ browser, baseUrl } = site);
});

afterAll(async () => {
  await site?.close();
  await harness?.close();
});

/** How a page is reached: a GET, or a form filled and sent. */
interface Visit {
  name: string;
  open(page: Page): Promise<unknown>;
  /** The heading the page must show. */
  heading: RegExp;
}

const get = (path: string) => (page: Page) => page.goto(`${baseUrl}${path}`);
const submit =
  (path: string, fill: (page: Page) => Promise<void>, button = 'button[type="submit"]') =>
  async (page: Page) => {
    await page.goto(`${baseUrl}${path}`);
    await fill(page);
    await Promise.all([page.waitForLoadState('load'), page.waitForNavigation(), page.click(button)]);
  };

const VISITS: Visit[] = [
  { name: 'signup', open: get('/'), heading: /most upvoted research papers/ },
  {
    name: 'check-inbox',
    open: submit('/', (page) => page.fill('#email', 'someone@example.org')),
    heading: /Check your inbox/,
  },
  {
    name: 'signup-error',
    open: submit('/', async (page) => {
      await page.fill('#email', 'someone@example.org');
      await page.fill('#keywords', '<b>bold</b>');
    }),
    heading: /most upvoted research papers/,
  },
  { name: 'confirm', open: get(`/confirm/${'CONFIRM'}`), heading: /Confirm your subscription/ },
  { name: 'confirm-expired', open: get(`/confirm/${'EXPIRED'}`), heading: /This link has expired/ },
  {
    name: 'confirmed',
    open: submit('/confirm/CONFIRM', async () => {}),
    heading: /You are subscribed/,
  },
  { name: 'unsubscribe', open: get('/unsubscribe/UNSUBSCRIBE'), heading: /^Unsubscribe$/ },
  {
    name: 'unsubscribed',
    open: submit('/unsubscribe/UNSUBSCRIBE', async () => {}),
    heading: /You are unsubscribed/,
  },
  { name: 'preferences', open: get('/preferences/PREFERENCES'), heading: /Your preferences/ },
  {
    name: 'preferences-error',
    open: submit(
      '/preferences/PREFERENCES',
      (page) => page.fill('#timezone', 'Mars/Olympus'),
      'text=Save preferences',
    ),
    heading: /Your preferences/,
  },
  {
    name: 'data-export',
    open: submit('/preferences/PREFERENCES', async () => {}, 'text=Email me my data'),
    heading: /Your preferences/,
  },
  { name: 'archive', open: get('/archive'), heading: /Past issues/ },
  { name: 'archive-search', open: get('/archive?q=brain'), heading: /Search the archive/ },
  { name: 'archive-issue', open: get('/archive/2026-05-23'), heading: /Top papers of 23 May 2026/ },
  { name: 'not-found', open: get('/nowhere'), heading: /Not found/ },
];

/** Tokens are made in beforeAll; the table names them. */
function withTokens(visit: Visit): Visit {
  const swap = (path: string) =>
    path
      .replace('CONFIRM', tokens.confirm)
      .replace('EXPIRED', tokens.expired)
      .replace('UNSUBSCRIBE', tokens.unsubscribe)
      .replace('PREFERENCES', tokens.preferences);
  return {
    ...visit,
    open: async (page) => {
      const goto = page.goto.bind(page);
      page.goto = ((url: string, options?: Parameters<Page['goto']>[1]) =>
        goto(swap(url), options)) as Page['goto'];
      return visit.open(page);
    },
  };
}

/** What every page must hold at any width: no sideways scrolling, a name for every control. */
async function checkPage(page: Page, width: number) {
  const layout = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    unnamed: [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
      .filter((element) => {
        const control = element as HTMLInputElement;
        return !(control.labels?.length || control.getAttribute('aria-label') || control.textContent?.trim());
      })
      .map((element) => element.outerHTML),
    background: getComputedStyle(document.body).backgroundColor,
  }));
  expect(layout.scrollWidth, 'nothing runs off the screen').toBeLessThanOrEqual(width);
  expect(layout.unnamed, 'every control has a label').toEqual([]);
  return layout.background;
}

describe.each(VIEWPORTS)('every page at $width px', (viewport) => {
  it.each(VISITS.map((visit) => [visit.name, visit] as const))('%s, light and dark', async (_, visit) => {
    const backgrounds: string[] = [];
    for (const colorScheme of SCHEMES) {
      const context = await browser.newContext({ viewport, colorScheme });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      // A Content-Security-Policy violation or a missing asset shows up as a console error.
      page.on('console', (message) => {
        // Error pages answer 4xx on purpose; anything else failing to load is a fault.
        const ownStatus =
          message.text().startsWith('Failed to load resource') && message.location().url === page.url();
        if (message.type() === 'error' && !ownStatus) errors.push(message.text());
      });
      await withTokens(visit).open(page);
      expect(await page.textContent('h1')).toMatch(visit.heading);
      backgrounds.push(await checkPage(page, viewport.width));
      await page.screenshot({
        path: new URL(`${visit.name}-${viewport.width}-${colorScheme}.png`, SHOTS).pathname,
        fullPage: true,
      });
      expect(errors).toEqual([]);
      await context.close();
    }
    expect(backgrounds[0], 'the dark scheme changes the page').not.toBe(backgrounds[1]);
  });
});

describe('the signup page with JavaScript', () => {
  it('fills the time zone from the browser', async () => {
    const context = await browser.newContext({ timezoneId: 'Asia/Tokyo' });
    const page = await context.newPage();
    await page.goto(`${baseUrl}/`);
    expect(await page.inputValue('input[name="timezone"]')).toBe('Asia/Tokyo');
    await context.close();
  });
});

describe.each([600, 375])('the digest at %i px', (width) => {
  it.each(SCHEMES)('in %s mode', async (colorScheme) => {
    const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme });
    const page = await context.newPage();
    await page.setContent(digestHtml, { waitUntil: 'load' });
    const look = await page.evaluate(() => {
      const card = document.querySelector('table.dp-s') as HTMLElement;
      const title = card.querySelector('h2') as HTMLElement;
      return {
        scrollWidth: document.documentElement.scrollWidth,
        card: getComputedStyle(card).backgroundColor,
        title: getComputedStyle(title).color,
      };
    });
    expect(look.scrollWidth).toBeLessThanOrEqual(width);
    // Light: white cards, dark text; dark: dark cards, light text.
    const dark = colorScheme === 'dark';
    expect(look.card).toBe(dark ? 'rgb(24, 28, 34)' : 'rgb(255, 255, 255)');
    expect(look.title).toBe(dark ? 'rgb(230, 234, 239)' : 'rgb(27, 31, 36)');
    await page.screenshot({
      path: new URL(`digest-${width}-${colorScheme}.png`, SHOTS).pathname,
      fullPage: true,
    });
    await context.close();
  });
});
