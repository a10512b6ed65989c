import { execFileSync, spawnSync } from 'node:child_process';
import { insertOutboxMail, insertSubscriber } from '@digest/db';
import { buildIssue, importPapers, sendIssue } from '@digest/digest';
import { compileMessage, createSmtpTransport, personalise } from '@digest/email';
import { senders } from '@digest/runtime';
import { sendOutboxMail } from '@digest/subscribers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dkimFailure, dkimSettings } from './support/dkim.ts';
import { fixture } from './support/fixtures.ts';
import { type Harness, openHarness } from './support/harness.ts';
import type { CapturedMail } from './support/smtp.ts';

let harness: Harness;
let mail: CapturedMail;
let confirmation: CapturedMail;
let welcome: CapturedMail;
let dataExport: CapturedMail;

const POSTAL_ADDRESS = 'Daily Papers, 12 Rue de l’Exemple, 75011 Paris, France';

/** One real digest, built and sent by the services to the test SMTP server. */
beforeAll(async () => {
  harness = await openHarness({
    PUBLIC_BASE_URL: 'https://papers.example.org',
    MAIL_FROM: 'Daily Papers <digest@papers.example.org>',
    MAIL_POSTAL_ADDRESS: POSTAL_ADDRESS,
  });
  const { db } = harness.resources;
  await importPapers(db, fixture('hf-daily-papers-sample.json'), { timeZone: 'UTC' });
  await insertSubscriber(db, { email: 'reader@example.com', status: 'active', consent_source: 'import' });
  const transport = createSmtpTransport({ url: harness.smtp.url, poolSize: 1 });
  const ctx = senders(harness.resources, transport).send;
  const { issue } = await buildIssue(ctx, { cadence: 'daily', date: '2026-05-22' });
  await sendIssue(ctx, issue.id);
  mail = (await harness.smtp.waitFor(1))[0]!;

  // The lifecycle mails of a new reader, as the worker sends them.
  const { mail: mailCtx } = senders(harness.resources, transport);
  const reader = await insertSubscriber(db, {
    email: 'new.reader@example.com',
    status: 'pending',
    consent_source: 'form',
  });
  await sendOutboxMail(mailCtx, (await insertOutboxMail(db, 'confirmation', reader.id)).id);
  await db.updateTable('subscribers').set({ status: 'active' }).where('id', '=', reader.id).execute();
  await sendOutboxMail(mailCtx, (await insertOutboxMail(db, 'welcome', reader.id)).id);
  await sendOutboxMail(mailCtx, (await insertOutboxMail(db, 'data-export', reader.id)).id);
  transport.close();
  [, confirmation, welcome, dataExport] = (await harness.smtp.waitFor(4)) as CapturedMail[] as [
    CapturedMail,
    CapturedMail,
    CapturedMail,
    CapturedMail,
  ];
});

/** Every SpamAssassin rule that hit, with its score (local tests only: no network, no Bayes). */
function spamRules(message: CapturedMail): {
  score: number;
  rules: { name: string; score: number }[];
  report: string;
} {
  const found = spawnSync('spamassassin', ['--version']);
  if (found.error)
    throw new Error('spamassassin is not installed: apt-get install spamassassin (.ci/run does)');
  const report = execFileSync('spamassassin', ['-L', '-t'], { input: message.raw, encoding: 'utf8' });
  const details = report.slice(report.indexOf('Content analysis details'));
  const score = Number(/Content analysis details:\s+\((-?[\d.]+) points/.exec(details)?.[1]);
  const rules = [...details.matchAll(/^\s*(-?\d+(?:\.\d+)?)\s+([A-Z][A-Z0-9_]+)\s/gm)].map((match) => ({
    name: match[2] as string,
    score: Number(match[1]),
  }));
  return { score, rules, report: details };
}

afterAll(() => harness.close());

describe('a digest as an inbox sees it', () => {
  it('has a plain-text and an HTML part, the HTML under Gmail’s 102 KB clip', () => {
    expect(mail.parsed.text?.length).toBeGreaterThan(500);
    expect(typeof mail.parsed.html).toBe('string');
    expect(Buffer.byteLength(mail.parsed.html as string)).toBeLessThan(102 * 1024);
    expect(mail.header('Content-Type')).toMatch(/^multipart\/alternative/);
  });

  it('carries Message-ID, Date, List-Unsubscribe and One-Click headers', () => {
    expect(mail.header('Message-ID')).toMatch(/^<[^@\s]+@papers\.example\.org>$/);
    expect(mail.parsed.date?.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(mail.header('List-Unsubscribe')).toMatch(
      /^<https:\/\/papers\.example\.org\/unsubscribe\/[\w.-]+>$/,
    );
    expect(mail.header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
  });

  it.each([
    ['digest', () => mail],
    ['confirmation', () => confirmation],
    ['welcome', () => welcome],
    ['data export', () => dataExport],
  ])('the %s mail hits no SpamAssassin rule that scores above zero', (_, message) => {
    const { score, rules, report } = spamRules(message());
    expect(rules.length, report).toBeGreaterThan(0); // the report was read
    expect(
      rules.filter((rule) => rule.score > 0),
      report,
    ).toEqual([]);
    expect(score, report).toBeLessThanOrEqual(0);
  });

  it('carries List-Id, a dark mode and the postal address', () => {
    expect(mail.header('List-Id')).toBe('Daily Papers <digest.papers.example.org>');
    const html = mail.parsed.html as string;
    expect(html).toContain('<meta name="color-scheme" content="light dark"');
    expect(html).toMatch(/prefers-color-scheme: dark/);
    for (const message of [mail, confirmation, welcome]) {
      expect(message.parsed.text).toContain(POSTAL_ADDRESS);
    }
  });

  it('welcomes with what arrives and when, the latest top papers and the preferences link', () => {
    const text = welcome.parsed.text ?? '';
    expect(text).toContain('Every morning');
    expect(text).toMatch(/A taste of the latest issue:\n1\. /);
    expect(text).toMatch(/https:\/\/papers\.example\.org\/preferences\/[\w.-]+/);
    expect(confirmation.parsed.text).toContain('The link works for 48 hours');
  });

  it('mails a reader their data as JSON', () => {
    const json = /\n(\{\n[\s\S]*\n\})\n/.exec(dataExport.parsed.text ?? '')?.[1] ?? '';
    const data = JSON.parse(json) as { subscriber: { email: string }; deliveries: unknown[] };
    expect(data.subscriber.email).toBe('new.reader@example.com');
    expect(data.deliveries).toEqual([]);
    expect(dataExport.header('To')).toBe('new.reader@example.com');
  });

  it('is DKIM-signed, and the signature verifies, on every message when DKIM_* are set', async () => {
    const { env, publicKey } = dkimSettings('papers.example.org');
    const signed = await openHarness({ MAIL_FROM: 'Daily Papers <digest@papers.example.org>', ...env });
    try {
      const { config } = signed;
      const transport = createSmtpTransport({ url: config.SMTP_URL, poolSize: 2, dkim: config.dkim });
      const message = compileMessage({
        from: config.MAIL_FROM,
        subject: 'Signed',
        html: '<p>hi</p>\n.<p>a line that starts with a dot</p>',
        text: 'hi\n.a line that starts with a dot\n\n\n',
        slotNonce: null,
      });
      const readers = Array.from({ length: 6 }, (_, index) => `reader-${index}@example.com`);
      await Promise.all(
        readers.map((to) =>
          transport.send({ from: message.envelopeFrom, to, ...personalise(message, { to }) }),
        ),
      );
      transport.close();
      const received = await signed.smtp.waitFor(readers.length);
      for (const mail of received) {
        expect(mail.header('DKIM-Signature')).toMatch(/d=papers\.example\.org;.*s=mail;/s);
        expect(mail.raw).toContain('\r\n.a line that starts with a dot');
        expect(dkimFailure(mail.raw, publicKey)).toBeUndefined();
      }
      // The check itself fails on a message changed on the way.
      expect(
        dkimFailure(received[0]!.raw.replace('starts with a dot', 'starts with a dog'), publicKey),
      ).toMatch(/body hash/);
    } finally {
      await signed.close();
    }
  });
});
