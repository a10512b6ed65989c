import { describe, expect, it } from 'vitest';
import { type DigestProps, digestPropsSchema, renderDigestEmail } from './digest.ts';
import { slotMarkers } from './placeholders.ts';
import { longSummary, testPaper, testPapers } from './test-papers.ts';

const GMAIL_CLIP_BYTES = 102 * 1024;

function props(overrides: Partial<DigestProps> = {}): DigestProps {
  return {
    cadence: 'daily',
    issueDate: '2026-05-22',
    papers: testPapers(3),
    archiveUrl: 'https://papers.example.com/archive/2026-05-22',
    siteUrl: 'https://papers.example.com/',
    ...overrides,
  };
}

const HOSTILE_TITLE =
  "<script>alert(1)</script> \"><img src=x onerror=alert(1)> 'quoted' Line\r\nBcc: evil@example.com 🧪";

/** The names of every attribute of every tag in the HTML (quoted values skipped, so escaped text is not matched). */
function attributeNames(html: string): string[] {
  const value = `(?:\\s*=\\s*(?:"[^"]*"|'[^']*'|[^\\s>]+))?`;
  const tag = new RegExp(`<[a-z][\\w:-]*((?:\\s+[^\\s=>/]+${value})*)\\s*/?>`, 'gi');
  const attribute = new RegExp(`([^\\s=>/]+)${value}`, 'g');
  return [...html.matchAll(tag)].flatMap((match) =>
    [...(match[1] ?? '').matchAll(attribute)].map((found) => (found[1] ?? '').toLowerCase()),
  );
}

/** Every href in the HTML, with the entities MJML and we produce decoded back. */
function hrefs(html: string): string[] {
  return [...html.matchAll(/\shref="([^"]*)"/gi)].map((match) => (match[1] ?? '').replaceAll('&amp;', '&'));
}

describe('renderDigestEmail', () => {
  it('lists the papers in the given order, with rank, title, link, upvotes, byline and summary', async () => {
    const papers = [
      testPaper(7, { title: 'Seventh paper', upvotes: 12 }),
      testPaper(2, { title: 'Second paper', upvotes: 300 }),
      testPaper(5, { title: 'Fifth paper', upvotes: 40, paperUrl: null, aiSummary: 'A short AI summary.' }),
    ];
    const { html, text } = await renderDigestEmail(props({ papers }));

    const order = (body: string) =>
      ['Seventh paper', 'Second paper', 'Fifth paper'].map((t) => body.indexOf(t));
    for (const positions of [order(html), order(text)]) {
      expect(positions.every((position) => position >= 0)).toBe(true);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }
    expect(html).toContain('<a href="https://huggingface.co/papers/2605.10007"');
    expect(html).toContain('Example Lab · 300 upvotes · 3 comments');
    expect(html).toContain('A short AI summary.');
    expect(html).toContain('<a href="https://github.com/example/paper-2"');
    expect(text).toMatch(/^1\. Seventh paper$/m);
    expect(text).toMatch(/^3\. Fifth paper$/m);
    expect(text).toMatch(/^Daily Papers · Friday, 22 May 2026$/m);
    expect(text).toContain('Paper: https://huggingface.co/papers/2605.10002');
    expect(text).toContain('Keywords: reasoning · retrieval · long context');
  });

  it('builds the subject from the date and the top paper, on one line and at most 120 characters', async () => {
    const daily = await renderDigestEmail(props());
    expect(daily.subject).toBe(
      'Daily Papers — 22 May 2026: Paper number 1: scaling laws for retrieval-augmented reasoning',
    );
    const weekly = await renderDigestEmail(
      props({
        cadence: 'weekly',
        issueDate: '2026-05-18',
        papers: [testPaper(1, { title: 'x '.repeat(200) })],
      }),
    );
    expect(weekly.subject.startsWith('Weekly Papers — week of 18 May 2026: x x')).toBe(true);
    expect(weekly.subject.length).toBeLessThanOrEqual(120);
    expect(weekly.subject.endsWith('…')).toBe(true);

    const injected = await renderDigestEmail(
      props({ papers: [testPaper(1, { title: 'Line\r\nBcc: evil@example.com\u2028🧪' })] }),
    );
    expect(injected.subject).toBe('Daily Papers — 22 May 2026: Line Bcc: evil@example.com 🧪');
  });

  it('cuts a long abstract at a sentence boundary', async () => {
    const { html, text } = await renderDigestEmail(
      props({ papers: [testPaper(1, { summary: longSummary })] }),
    );
    const summary = text.split('\n\n')[4] ?? '';
    expect(summary.replaceAll('\n', ' ').length).toBeLessThanOrEqual(400);
    expect(summary).toMatch(/inference cost\.$/);
    expect(html).not.toContain(longSummary.slice(0, 600));
  });

  it('names the organisation, else the first authors, else the author count', async () => {
    const papers = [
      testPaper(1, { title: 'Org' }),
      testPaper(2, { title: 'Names', organization: null }),
      testPaper(3, { title: 'Count', organization: null, authors: [], authorCount: 5 }),
    ];
    const { text } = await renderDigestEmail(props({ papers }));
    expect(text).toContain('Org\nExample Lab · 199 upvotes');
    expect(text).toContain('Names\nAda Lovelace, Alan Turing, Grace Hopper et al. · 198 upvotes');
    expect(text).toContain('Count\n5 authors · 197 upvotes');
  });

  it('has a dark mode, a header with date and issue number, and the postal address', async () => {
    const { html, text } = await renderDigestEmail(
      props({ issueNumber: 12, postalAddress: 'Daily Papers, 1 Example Street, 75001 Paris' }),
    );
    expect(html).toContain('<meta name="color-scheme" content="light dark"');
    expect(html).toMatch(/@media \(prefers-color-scheme: dark\)/);
    expect(html).toContain('Friday, 22 May 2026 · Issue 12');
    expect(html).toContain('Daily Papers, 1 Example Street, 75001 Paris');
    expect(text).toContain('Daily Papers, 1 Example Street, 75001 Paris');
  });

  it('shows thumbnails with alt text and size only when DIGEST_THUMBNAILS is set', async () => {
    const plain = await renderDigestEmail(props());
    expect(plain.html).not.toMatch(/<img/i);
    const { html } = await renderDigestEmail(props({ thumbnails: 'https://img.example.com/{id}.png' }));
    expect(html).toMatch(
      /<img src="https:\/\/img\.example\.com\/2605\.10001\.png" alt="First page of “Paper number 1[^"]*”" width="496" height="260"/,
    );
    // An id no URL can hold (a lone surrogate) goes without its thumbnail, not without its mail.
    const broken = await renderDigestEmail(
      props({
        papers: [testPaper(1, { externalId: 'x\uD800' })],
        thumbnails: 'https://img.example.com/{id}.png',
      }),
    );
    expect(broken.html).not.toMatch(/<img/i);
  });

  it('shows "N authors" without names, and no code link without a code URL', async () => {
    const paper = testPaper(1, { authors: [], authorCount: 12, organization: null, codeUrl: null });
    const { html, text } = await renderDigestEmail(props({ papers: [paper] }));
    expect(html).toContain('12 authors');
    expect(html).not.toContain('>Code</a>');
    expect(text).not.toContain('Code:');
  });

  it('escapes hostile paper fields and drops non-http links', async () => {
    const hostile = testPaper(1, {
      title: HOSTILE_TITLE,
      summary: '<script>alert("summary")</script> & "quotes"',
      aiSummary: null,
      authors: ['<b onmouseover=alert(1)>Mallory</b>', "O'Brien"],
      organization: '"><script>alert(2)</script>',
      aiKeywords: ['<img src=x onerror=alert(3)>', 'ok'],
      paperUrl: 'javascript:alert(1)',
      codeUrl: ' JaVaScRiPt:alert(2)',
    });
    const data = testPaper(2, { paperUrl: 'data:text/html,<script>alert(1)</script>', codeUrl: '/relative' });
    const { subject, html, text } = await renderDigestEmail(props({ papers: [hostile, data] }));

    expect(html).not.toMatch(/<script/i);
    expect(attributeNames('<img src=x onerror=alert(1)>')).toEqual(['src', 'onerror']); // the helper works
    const attributes = attributeNames(html);
    expect(attributes).toContain('href');
    expect(attributes.filter((name) => name.startsWith('on'))).toEqual([]);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain(
      '&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt;',
    );
    expect(html).toContain('&#39;quoted&#39;');
    expect(html).toContain('&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(html).toContain('🧪');
    for (const href of hrefs(html)) {
      expect(href).toMatch(/^(https?:\/\/|\{\{(unsubscribe|preferences)_url:[0-9a-f]{32}\}\}$)/);
    }
    expect(text).not.toContain('javascript:');
    expect(text).not.toContain('data:text');

    expect(subject).not.toMatch(/[\r\n\u2028\u2029]/);
    expect(subject.length).toBeLessThanOrEqual(120);
    expect(text).not.toContain('\r');
    expect(text.replaceAll('\n', ' ')).toContain('Line Bcc: evil@example.com');
  });

  it('keeps both per-recipient slot markers verbatim in the HTML and the text', async () => {
    const { html, text, slotNonce } = await renderDigestEmail(props());
    for (const placeholder of Object.values(slotMarkers(slotNonce ?? ''))) {
      expect(html).toContain(`href="${placeholder}"`);
      expect(text).toContain(placeholder);
    }
    expect(html).toContain('>Manage preferences</a>');
    expect(html).toContain('>Unsubscribe</a>');
    expect(html).toContain('<a href="https://papers.example.com/archive/2026-05-22"');
    expect(html).toContain('You get this daily email because you subscribed at');
  });

  it('uses a fresh nonce per render, so paper text cannot know a marker', async () => {
    const first = await renderDigestEmail(props());
    const second = await renderDigestEmail(props());
    expect(first.slotNonce).toMatch(/^[0-9a-f]{32}$/);
    expect(second.slotNonce).not.toBe(first.slotNonce);
    expect(second.html).not.toContain(first.slotNonce);
  });

  it.each([10, 50])('stays well under the Gmail clip with %i long papers', async (count) => {
    const papers = testPapers(count, {
      title: `A long title about ${'very '.repeat(30)}large models`,
      summary: longSummary,
      aiKeywords: Array.from({ length: 20 }, (_, i) => `keyword ${i}`),
      authors: Array.from({ length: 30 }, (_, i) => `Author Number ${i}`),
    });
    const { html } = await renderDigestEmail(props({ papers }));
    const bytes = Buffer.byteLength(html, 'utf8');
    expect(bytes).toBeLessThan(count === 10 ? GMAIL_CLIP_BYTES / 3 : GMAIL_CLIP_BYTES * 0.9);
    expect(html).not.toContain('fonts.googleapis.com');
    expect(html).not.toMatch(/<img/i);
  });
});

describe('digestPropsSchema', () => {
  it('accepts valid props', () => {
    expect(digestPropsSchema.safeParse(props()).success).toBe(true);
  });

  it.each<[string, Partial<DigestProps>]>([
    ['no papers', { papers: [] }],
    ['51 papers', { papers: testPapers(51) }],
    ['a malformed date', { issueDate: '22/05/2026' }],
    ['an impossible date', { issueDate: '2026-02-30' }],
    ['an unknown cadence', { cadence: 'monthly' as DigestProps['cadence'] }],
    ['a javascript: archive URL', { archiveUrl: 'javascript:alert(1)' }],
    ['a relative site URL', { siteUrl: '/signup' }],
    ['a paper without a title', { papers: [testPaper(1, { title: '  ' })] }],
  ])('rejects %s', async (_, overrides) => {
    expect(digestPropsSchema.safeParse(props(overrides)).success).toBe(false);
    await expect(renderDigestEmail(props(overrides))).rejects.toThrow(/Invalid digest email/);
  });
});
