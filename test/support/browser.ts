import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Browser, chromium } from 'playwright-core';
import { createApp } from '../../apps/api/src/app.ts';
import type { Harness } from './harness.ts';

export interface BrowserSite {
  browser: Browser;
  /** Where the API listens, e.g. `http://127.0.0.1:41234`. */
  baseUrl: string;
  close(): Promise<void>;
}

/** The API over a harness on a free port, and Debian's Chromium to read it. */
export async function openBrowserSite(harness: Harness): Promise<BrowserSite> {
  const server = serve({ fetch: createApp(harness.resources).fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  return {
    browser,
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
