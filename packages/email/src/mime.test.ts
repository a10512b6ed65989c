import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { type BodyPart, compileMessage, joinParts, type PartEncodings, personalise } from './mime.ts';
import { newSlotNonce, slotMarkers } from './templates/placeholders.ts';

const longLine = 'word '.repeat(40);

describe('compile once, personalise by substitution', () => {
  const slotNonce = newSlotNonce();
  const slot = slotMarkers(slotNonce);
  const message = compileMessage({
    from: 'Daily Papers <digest@papers.test>',
    subject: 'Papers — 22 May: Ünïcode title',
    html: `<p>${longLine}</p><a href="${slot.unsubscribeUrl}">Unsubscribe</a>${longLine}<a href="${slot.preferencesUrl}">x</a><a href="{{unsubscribe_url}}">forged</a>`,
    text: `${longLine}\nUnsubscribe: ${slot.unsubscribeUrl}\n🧪 done {{{unsubscribe_url}}} {{unsubscribe_url:${'0'.repeat(32)}}}`,
    slotNonce,
    listUnsubscribe: { mailto: 'unsubscribe@papers.test' },
  });

  it('puts each recipient’s own links in the headers and both parts', async () => {
    const unsubscribeUrl = `https://papers.test/unsubscribe/${'t'.repeat(90)}?a=1&b=2`;
    const { raw: pieces, messageId } = personalise(message, {
      to: 'reader@example.org',
      unsubscribeUrl,
      preferencesUrl: 'https://papers.test/preferences/abc',
    });
    const raw = Buffer.concat(pieces).toString();
    for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
    const parsed = await simpleParser(raw);
    expect(parsed.to && 'text' in parsed.to ? parsed.to.text : '').toBe('reader@example.org');
    expect(parsed.subject).toBe('Papers — 22 May: Ünïcode title');
    expect(parsed.messageId).toBe(messageId);
    expect(parsed.html).toContain(`href="${unsubscribeUrl.replace(/&/g, '&amp;')}"`);
    expect(parsed.html).toContain('href="https://papers.test/preferences/abc"');
    expect(parsed.text).toContain(`Unsubscribe: ${unsubscribeUrl}\n🧪 done`);
    // Only this render's markers are slots: anything else that looks like one stays text.
    expect(parsed.html).toContain('<a href="{{unsubscribe_url}}">forged</a>');
    expect(parsed.text).toContain(`{{{unsubscribe_url}}} {{unsubscribe_url:${'0'.repeat(32)}}}`);
    const header = parsed.headerLines.find((line) => line.key === 'list-unsubscribe')?.line;
    expect(header).toBe(
      `List-Unsubscribe: <${unsubscribeUrl}>, <mailto:unsubscribe@papers.test?subject=unsubscribe>`,
    );
    expect(raw).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n');
  });

  it('gives every copy its own Message-ID and no trace of another recipient', () => {
    const first = personalise(message, { to: 'a@example.org', unsubscribeUrl: 'https://papers.test/u/A' });
    const second = personalise(message, { to: 'b@example.org', unsubscribeUrl: 'https://papers.test/u/B' });
    expect(first.messageId).not.toBe(second.messageId);
    const text = Buffer.concat(second.raw).toString();
    expect(text).not.toContain('a@example.org');
    expect(text).not.toContain('/u/A');
  });

  it('keeps CR/LF in a recipient value out of the headers', () => {
    const { raw } = personalise(message, { to: 'a@example.org\r\nBcc: b@example.org' });
    expect(Buffer.concat(raw).toString()).not.toMatch(/^Bcc:/m);
  });
});

describe('a body in parts', () => {
  const slotNonce = newSlotNonce();
  const slot = slotMarkers(slotNonce);
  const head = { recurring: `<html><head><style>${'p { margin: 0 } '.repeat(20)}</style></head><body>` };
  const foot = { recurring: `<a href="${slot.unsubscribeUrl}">Unsubscribe</a> ${longLine} </body></html>` };
  const compile = (content: string, encodings: PartEncodings) => {
    // A part whose last encoded line is a whole line long: the soft break after it must still fit.
    const html: BodyPart[] = [head, `<p>${content} ${longLine}=</p>`, '', 'T'.repeat(76), foot];
    return {
      html,
      message: compileMessage(
        { from: 'Daily Papers <digest@papers.test>', subject: 'S', html, text: 'T', slotNonce },
        encodings,
      ),
    };
  };

  it('reads as the whole body, and shares the encoding of its recurring parts', async () => {
    const encodings: PartEncodings = new Map();
    const first = compile('Ünïcode first', encodings);
    const second = compile('second', encodings);
    for (const { html, message } of [first, second]) {
      const unsubscribeUrl = 'https://papers.test/u/1?a=1&b=2';
      const raw = Buffer.concat(personalise(message, { to: 'a@example.org', unsubscribeUrl }).raw).toString();
      const body = raw.slice(raw.indexOf('Content-Transfer-Encoding: quoted-printable'));
      // Quoted-printable lines are at most 76 characters (RFC 2045 6.7).
      for (const line of body.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
      const parsed = await simpleParser(raw);
      expect(parsed.html).toBe(
        joinParts(html).replace(slot.unsubscribeUrl, unsubscribeUrl.replace(/&/g, '&amp;')),
      );
    }
    const bytes = (message: typeof first.message) => message.segments.filter((s) => Buffer.isBuffer(s));
    const shared = bytes(first.message).filter((piece) => bytes(second.message).includes(piece));
    expect(shared.map((piece) => piece.length).reduce((a, b) => a + b)).toBeGreaterThan(
      head.recurring.length,
    );
    expect(encodings.size).toBe(2);
  });
});
