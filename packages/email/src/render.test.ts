import { describe, expect, it } from 'vitest';
import { renderMjml } from './render.ts';

const HELLO =
  '<mjml><mj-body><mj-section><mj-column><mj-text>Hello</mj-text></mj-column></mj-section></mj-body></mjml>';

describe('renderMjml', () => {
  it('renders valid MJML to HTML without web fonts', async () => {
    const html = await renderMjml(HELLO);
    expect(html).toContain('Hello');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).not.toContain('fonts.googleapis.com');
  });

  it('throws an error listing the MJML errors', async () => {
    await expect(
      renderMjml(
        '<mjml><mj-body><mj-section><mj-text>Not in a column</mj-text></mj-section></mj-body></mjml>',
      ),
    ).rejects.toThrow(/Invalid MJML: .*mj-text/);
  });

  it('stops a renderer that takes too long, and renders on a new one after', async () => {
    // Loading MJML alone takes far longer than a millisecond: the first render times out.
    await expect(renderMjml(HELLO, { timeoutMs: 1 })).rejects.toThrow(
      /the MJML renderer took longer than 1 ms: stopped/,
    );
    await expect(renderMjml(HELLO)).resolves.toContain('Hello');
  });
});
