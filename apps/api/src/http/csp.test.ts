import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, openHarness } from '../../../../test/support/harness.ts';
import { createApp } from '../app.ts';
import { NO_SCRIPT_POLICY, PAGE_POLICY } from './csp.ts';

let harness: Harness;
let app: ReturnType<typeof createApp>;

beforeEach(async () => {
  harness = await openHarness();
  app = createApp(harness.resources);
});

afterEach(() => harness.close());

describe('Content-Security-Policy', () => {
  it('is on every page, allows only our own scripts, and the pages have no inline script', async () => {
    expect(PAGE_POLICY).toContain("script-src 'self'");
    expect(PAGE_POLICY).not.toContain('unsafe-inline');
    for (const path of ['/', '/archive', '/confirm/not-a-token', '/unsubscribe/x', '/admin', '/nowhere']) {
      const response = await app.request(path);
      expect(response.headers.get('content-security-policy'), path).toBe(PAGE_POLICY);
      const page = await response.text();
      // Every <script> has a src; no event-handler attributes, no javascript: URLs.
      expect(page.match(/<script(?![^>]*\ssrc=)[^>]*>/g), path).toBeNull();
      expect(page, path).not.toMatch(/\son[a-z]+=|javascript:/i);
    }
  });

  it('allows no script at all on archived issues', async () => {
    const response = await app.request('/archive/2026-01-01');
    expect(response.headers.get('content-security-policy')).toBe(NO_SCRIPT_POLICY);
    expect(NO_SCRIPT_POLICY).toContain("default-src 'none'");
    expect(NO_SCRIPT_POLICY).not.toMatch(/script-src/);
  });
});
