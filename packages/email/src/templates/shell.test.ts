import { describe, expect, it } from 'vitest';
import { joinParts } from '../mime.ts';
import { renderMjml } from '../render.ts';
import { layoutMjml } from './layout.ts';
import { fillShell, renderShell, type ShellLayout } from './shell.ts';

const LAYOUT: ShellLayout = {
  siteUrl: 'https://papers.example.com/',
  kicker: 'Friday, 22 May 2026 · Issue 3',
  body: (content) => `<mj-text css-class="dp-narrow">${content}</mj-text>`,
  footer: {
    reason: 'You get this because you subscribed at',
    siteUrl: 'https://papers.example.com/',
    links: [],
  },
};

const HOSTILE = `<script>alert(1)</script> "><img src=x onerror=alert(1)> 'q' & 🧪 $& $' {{shell_title:${'0'.repeat(32)}}}`;

describe('fillShell', () => {
  it('gives what MJML renders for the whole layout with the same title, preview and content', async () => {
    const shell = await renderShell(LAYOUT);
    const fills = [
      {
        title: ` ${HOSTILE} `,
        preview: HOSTILE,
        content: `\n  <h1>${HOSTILE}</h1>\n  <table><tr><td>cell</td></tr></table>\n`,
      },
      {
        title: 'Daily Papers — 22 May 2026: A paper',
        preview: 'A paper and 2 more.',
        content: '<p>Plain</p>',
      },
    ];
    for (const { title, preview, content } of fills) {
      const whole = await renderMjml(layoutMjml({ ...LAYOUT, title, preview, body: LAYOUT.body(content) }));
      expect(joinParts(fillShell(shell, { title, preview, content }))).toBe(whole);
    }
  });

  it('puts nothing of one fill where another goes: filled text is never scanned for markers', async () => {
    const shell = await renderShell(LAYOUT);
    const [, titleMarker] = (await renderShell(LAYOUT)).pieces; // a marker name, not a marker
    expect(titleMarker).toBe('title');
    const html = joinParts(
      fillShell(shell, { title: 'T', preview: 'P', content: '{{shell_content:x}} content' }),
    );
    expect(html).toContain('{{shell_content:x}} content');
    expect(html.match(/<title>T<\/title>/g)).toHaveLength(1);
  });

  it('refuses a layout that leaves no place for a fill', async () => {
    await expect(
      renderShell({ ...LAYOUT, body: () => '<mj-text>Nothing of the edition</mj-text>' }),
    ).rejects.toThrow('the rendered layout has no place for: content');
  });
});
