import { readFileSync } from 'node:fs';
import { buildIssue, importPapers } from '@digest/digest';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, openHarness } from '../../../../test/support/harness.ts';
import { createApp } from '../app.ts';

let harness: Harness;
let app: ReturnType<typeof createApp>;

/** The demo papers of infra/seed: real titles and abstracts over three featured days. */
const demo = JSON.parse(
  readFileSync(new URL('../../../../infra/seed/demo-papers.json', import.meta.url), 'utf8'),
) as { title: string; featuredAt: string; upvotes: number }[];

beforeAll(async () => {
  harness = await openHarness({ PUBLIC_BASE_URL: 'https://papers.example.org' });
  await importPapers(harness.resources.db, demo, { timeZone: 'UTC' });
  for (const date of ['2026-05-22', '2026-05-23', '2026-05-24']) {
    await buildIssue(harness.resources.digest, { cadence: 'daily', date });
  }
  app = createApp(harness.resources);
});

afterAll(() => harness.close());

const topOf = (date: string) =>
  demo
    .map((paper, index) => ({ ...paper, index }))
    .filter((paper) => paper.featuredAt === date)
    .sort((a, b) => b.upvotes - a.upvotes || a.index - b.index)[0]!.title;

describe('the archive', () => {
  it('lists issues newest first, each with its top papers', async () => {
    const page = await (await app.request('/archive')).text();
    const order = ['2026-05-24', '2026-05-23', '2026-05-22'].map((date) =>
      page.indexOf(`href="/archive/${date}"`),
    );
    expect(order.every((position) => position > 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(page).toContain(topOf('2026-05-24').replaceAll('&', '&amp;'));
    expect(page).toContain('<form method="post" action="/subscribe">');
  });

  it('pages through issues', async () => {
    const beyond = await (await app.request('/archive?page=2')).text();
    expect(beyond).toContain('No issue here yet.');
    expect(beyond).toContain('href="/archive" rel="prev"');
    expect((await app.request('/archive?page=-3')).status).toBe(200);
  });

  it('shows an issue as a web page with navigation, link previews and no personal link', async () => {
    const response = await app.request('/archive/2026-05-23');
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('<link rel="canonical" href="https://papers.example.org/archive/2026-05-23" />');
    expect(page).toContain('<meta property="og:title" content="Top papers of 23 May 2026" />');
    expect(page).toMatch(
      /<meta property="og:description" content="10 most upvoted research papers, led by “[^"]+”\." \/>/,
    );
    expect(page).toContain('<meta name="twitter:card" content="summary" />');
    expect(page).toContain('href="/archive/2026-05-22" rel="prev"');
    expect(page).toContain('href="/archive/2026-05-24" rel="next"');
    expect(page).toContain(topOf('2026-05-23'));
    expect(page).toMatch(/\d+ authors/);
    expect(page).not.toMatch(/href="[^"]*(unsubscribe|preferences)|\{\{/i);
    expect(page).not.toMatch(/<script/);
  });

  it('finds archived papers with full-text search', async () => {
    const page = await (await app.request('/archive?q=task%20vectors')).text();
    expect(page).toContain('Knowledge Composition using Task Vectors');
    expect(page).toContain('href="/archive/2026-05-22"');
    expect(page).toMatch(/\d+ papers? match/);

    const none = await (await app.request('/archive?q=%3Cscript%3Ezebra')).text();
    expect(none).toContain('No archived paper matches “&lt;script&gt;zebra”.');
  });

  it('answers a NUL in the address, or the year 0, with a clear 4xx rather than a database error', async () => {
    const nul = await app.request('/archive?q=a%00b');
    expect(nul.status).toBe(400);
    expect(await nul.text()).toContain('holds a NUL character');
    const api = await app.request('/api/subscribe?x=%00', { method: 'POST' });
    expect(api.status).toBe(400);
    expect(await api.json()).toMatchObject({ error: { code: 'invalid_input' } });
    expect((await app.request('/archive/0000-01-01')).status).toBe(404);
  });

  it('publishes a feed with one entry per issue listing its papers', async () => {
    const response = await app.request('/archive.xml');
    expect(response.headers.get('content-type')).toMatch(/^application\/rss\+xml/);
    const feed = await response.text();
    expect(feed.match(/<item>/g)).toHaveLength(3);
    expect(feed).toContain('<link>https://papers.example.org/archive/2026-05-24</link>');
    const description = /<description>(&lt;ol&gt;.*?)<\/description>/s.exec(feed)?.[1] ?? '';
    expect(description.match(/&lt;li&gt;/g)?.length).toBeGreaterThan(3);
  });

  it('still searches when an issue stored before the import bounds holds a paper of megabytes', async () => {
    // 200,000 distinct words: a tsvector of about 2.7 MB, past Postgres's 1 MB, if read whole.
    await sql`
      update issues set papers = jsonb_set(papers, '{0,aiSummary}', to_jsonb(
        (select string_agg(md5(n::text), ' ') from generate_series(1, 200000) as n)))
      where issue_date = '2026-05-24'`.execute(harness.resources.db);
    const response = await app.request('/archive?q=task%20vectors');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Knowledge Composition using Task Vectors');
  });
});
