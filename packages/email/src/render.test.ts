import { describe, expect, it } from 'vitest';
import { renderMjml } from './render.ts';

describe('renderMjml', () => {
  it('renders valid MJML to HTML without web fonts', async () => {
    const html = await renderMjml(
      '<mjml><mj-body><mj-section><mj-column><mj-text>Hello</mj-text></mj-column></mj-section></mj-body></mjml>',
    );
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
});
