import { insertSubscriber } from '@digest/db';
import { importPapers } from '@digest/digest';
import { subscriberLinks } from '@digest/subscribers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, openHarness } from '../../../test/support/harness.ts';
import type { CapturedMail } from '../../../test/support/smtp.ts';
import { type RunningWorkers, startWorkers } from './workers.ts';

let harness: Harness;
let workers: RunningWorkers;

beforeEach(async () => {
  harness = await openHarness();
  workers = await startWorkers(harness.resources);
});

afterEach(async () => {
  await workers.close();
  await harness.close();
});

// Every spelling an attacker might try: plain, odd brace counts, a guessed nonce, split halves.
const FORGERIES = [
  '{{unsubscribe_url}}',
  '{{{unsubscribe_url}}}',
  '{{{{preferences_url}}}}',
  '{{preferences_url}',
  '{unsubscribe_url}}',
  `{{unsubscribe_url:${'0'.repeat(32)}}}`,
  '{{ unsubscribe_url }}',
];
const hostile = (field: string) => `${field} ${FORGERIES.join(' ')}`;
const hostileUrl = (path: string) =>
  `https://evil.example/${path}/{{{unsubscribe_url}}}?t={{unsubscribe_url}}&p={{preferences_url}}#{{preferences_url}}`;

const HF_ITEM = {
  title: hostile('hf item title'),
  summary: hostile('hf item summary'),
  publishedAt: '2026-06-01T07:00:00.000Z',
  paper: {
    id: '2606.{{unsubscribe_url}}',
    title: hostile('Sneaky HF paper'),
    summary: hostile('hf summary'),
    upvotes: 90,
    submittedOnDailyAt: '2026-06-01T07:00:00.000Z',
    authors: [{ name: hostile('hf author') }],
    githubRepo: hostileUrl('hf-code'),
    ai_summary: hostile('hf ai summary'),
    ai_keywords: [hostile('hf keyword'), 'sneaky'],
  },
};
const FLAT_PAPERS = [
  {
    title: hostile('Sneaky flat paper'),
    summary: hostile('flat summary'),
    authors: [hostile('flat author'), { name: hostile('flat named author') }],
    organization: { fullname: hostile('flat organisation') },
    publishedAt: '2026-06-01',
    featuredAt: '2026-06-01T08:00:00Z',
    upvotes: 80,
    url: hostileUrl('flat-url'),
    codeUrl: hostileUrl('flat-code'),
    aiSummary: hostile('flat ai summary'),
    aiKeywords: [hostile('flat keyword'), 'sneaky'],
  },
  {
    title: `Sneaky repo only ${FORGERIES.join('')}`,
    featuredAt: '2026-06-01T09:00:00Z',
    upvotes: 70,
    paperUrl: hostileUrl('flat-paper-url'),
    githubRepo: hostileUrl('flat-repo'),
  },
  { title: 'A plain paper', featuredAt: '2026-06-01T10:00:00Z', upvotes: 1, url: 'https://arxiv.org/abs/1' },
];

/** The token at the end of each of the reader's own links. */
function tokensOf(links: { unsubscribeUrl: string; preferencesUrl: string }): string[] {
  return Object.values(links).map((url) => url.slice(url.lastIndexOf('/') + 1));
}

/**
 * The reader's tokens appear only as the whole href of the product's own links (HTML), the whole
 * value after a footer label (text) and in List-Unsubscribe; another reader's never.
 */
function expectTokensOnlyInOwnLinks(
  mail: CapturedMail,
  own: { unsubscribeUrl: string; preferencesUrl: string },
  others: string[],
) {
  const html = mail.parsed.html as string;
  const text = mail.parsed.text as string;
  const ownUrls = new Set(Object.values(own));
  const [unsubscribeToken, preferencesToken] = tokensOf(own) as [string, string];
  for (const part of [html, text, mail.raw]) for (const token of others) expect(part).not.toContain(token);

  for (const token of [unsubscribeToken, preferencesToken]) {
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((match) => match[1] as string);
    const carrying = hrefs.filter((href) => href.includes(token));
    expect(carrying.length).toBeGreaterThan(0);
    for (const href of carrying) expect(ownUrls.has(href)).toBe(true);
    // No other place in the HTML (text, attributes) carries it.
    expect(html.split(token).length - 1).toBe(carrying.length);

    const lines = text.split('\n').filter((line) => line.includes(token));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const [label, url] = line.split(': ');
      expect(['Manage preferences', 'Unsubscribe']).toContain(label);
      expect(ownUrls.has(url ?? '')).toBe(true);
    }
  }
  expect(mail.header('List-Unsubscribe')).toBe(`<${own.unsubscribeUrl}>`);
  // Forgeries are shown as the text they are; none became a link of ours.
  expect(text).toContain('{{{unsubscribe_url}}}');
  for (const href of [...html.matchAll(/href="(https:\/\/evil\.example[^"]*)"/g)]) {
    expect(href[1]).not.toMatch(/[{}]/);
  }
}

describe('hostile paper data through the worker', () => {
  it('never carries a reader’s personal links anywhere but the product’s own links', async () => {
    const result = await importPapers(harness.resources.db, [HF_ITEM, ...FLAT_PAPERS], { timeZone: 'UTC' });
    expect(result.rejected).toEqual([]);
    const { db } = harness.resources;
    const plain = await insertSubscriber(db, {
      email: 'plain@example.org',
      status: 'active',
      consent_source: 'import',
    });
    const personal = await insertSubscriber(db, {
      email: 'personal@example.org',
      status: 'active',
      consent_source: 'import',
      keywords: ['sneaky'],
      papers_per_email: 2,
    });

    await harness.resources.queues.enqueue('build-digest', { cadence: 'daily', date: '2026-06-01' });
    const mails = await harness.smtp.waitFor(2);

    const links = (id: number) =>
      subscriberLinks(harness.config.PUBLIC_BASE_URL, harness.resources.tokens, id);
    const byRecipient = new Map(mails.map((mail) => [mail.envelopeTo[0], mail]));
    const plainMail = byRecipient.get('plain@example.org')!;
    const personalMail = byRecipient.get('personal@example.org')!;
    expect(personalMail.parsed.text).toContain('matching sneaky');
    expect(plainMail.parsed.text).not.toContain('matching sneaky');
    expectTokensOnlyInOwnLinks(plainMail, links(plain.id), tokensOf(links(personal.id)));
    expectTokensOnlyInOwnLinks(personalMail, links(personal.id), tokensOf(links(plain.id)));
  });
});
