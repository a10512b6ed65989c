import { findSubscriberByEmail } from '@digest/db';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSite, openBrowserSite } from './support/browser.ts';
import { type Harness, openHarness } from './support/harness.ts';

let harness: Harness;
let site: BrowserSite;
let browser: Browser;
let baseUrl: string;

beforeAll(async () => {
  harness = await openHarness();
  site = await openBrowserSite(harness);
  ({ browser, baseUrl } = site);
});

afterAll(async () => {
  await site?.close();
  await harness?.close();
});

describe('the signup page in a real browser with JavaScript off', () => {
  it('subscribes through the plain HTML form', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${baseUrl}/`);
    await page.fill('input[name="email"]', 'browser@example.org');
    await page.selectOption('select[name="cadence"]', 'weekly');
    await page.fill('input[name="keywords"]', 'diffusion, agents');
    await Promise.all([page.waitForURL(`${baseUrl}/subscribe`), page.click('button[type="submit"]')]);

    expect(await page.textContent('h1')).toBe('Check your inbox');
    expect(await findSubscriberByEmail(harness.resources.db, 'browser@example.org')).toMatchObject({
      status: 'pending',
      cadence: 'weekly',
      keywords: ['diffusion', 'agents'],
      consent_source: 'form',
    });
    await context.close();
  });

  it('shows what is wrong, keeping what was typed', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${baseUrl}/`);
    // The browser itself stops a malformed address; markup in a keyword only the server refuses.
    await page.fill('input[name="keywords"]', `<b>${'x'.repeat(50)}</b>`);
    await page.fill('input[name="email"]', 'valid@example.org');
    await Promise.all([page.waitForURL(`${baseUrl}/subscribe`), page.click('button[type="submit"]')]);
    expect(await page.textContent('[role="alert"]')).toMatch(/keyword/);
    expect(await page.inputValue('input[name="email"]')).toBe('valid@example.org');
    await context.close();
  });
});
