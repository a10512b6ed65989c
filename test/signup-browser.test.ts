import type { AddressInfo } from 'node:net';
import { findSubscriberByEmail } from '@digest/db';
import { type ServerType, serve } from '@hono/node-server';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../apps/api/src/app.ts';
import { type Harness, openHarness } from './support/harness.ts';

let harness: Harness;
let server: ServerType;
let browser: Browser;
let baseUrl: string;

beforeAll(async () => {
  harness = await openHarness();
  server = serve({ fetch: createApp(harness.resources).fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
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
