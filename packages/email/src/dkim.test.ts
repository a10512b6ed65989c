import { createHash, generateKeyPairSync } from 'node:crypto';
import DKIM from 'nodemailer/lib/dkim';
import { describe, expect, it } from 'vitest';
import { dkimFailure } from '../../../test/support/dkim.ts';
import { createDkimSigner } from './dkim.ts';
import { compileMessage, personalise } from './mime.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
const options = {
  domainName: 'papers.example.org',
  keySelector: 'mail',
  privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
};
const sign = createDkimSigner(options);

const signedText = async (pieces: Buffer[]) => Buffer.concat(await sign(pieces)).toString('latin1');
const tagOf = (message: string, name: string) =>
  new RegExp(`[ ;]${name}=([^;]*)`)
    .exec(message.slice(0, message.indexOf('\r\n\r\n')))?.[1]
    ?.replace(/\s+/g, '');
const sha256 = (text: string) => createHash('sha256').update(text, 'latin1').digest('base64');

/** Nodemailer's signer, the reference: its DKIM-Signature header, folding whitespace left out. */
async function nodemailerSignature(message: Buffer): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of new DKIM(options).sign(message)) chunks.push(chunk as Buffer);
  const signed = Buffer.concat(chunks).toString('latin1');
  return signed.slice(0, signed.search(/\r\n(?![ \t])/)).replace(/\s+/g, '');
}

/** A little random generator of its own, so a failure can be replayed from its seed. */
function random(seed: number) {
  let state = seed;
  return (below: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state % below;
  };
}

describe('DKIM signer', () => {
  it('signs a compiled message so that it verifies, covering one-click unsubscribe', async () => {
    const message = compileMessage({
      from: 'Daily Papers <digest@papers.example.org>',
      subject: 'Today’s papers',
      html: '<p>Hi</p>',
      text: 'Hi',
      slotNonce: null,
      listUnsubscribe: {},
    });
    const { raw } = personalise(message, { to: 'reader@example.com', unsubscribeUrl: 'https://u.example/x' });
    const signed = await signedText(raw);
    expect(dkimFailure(signed, publicKey)).toBeUndefined();
    expect(tagOf(signed, 'h')).toBe(
      'from:subject:date:message-id:to:mime-version:content-type:list-id:list-unsubscribe:list-unsubscribe-post',
    );
    expect(tagOf(signed, 'd')).toBe('papers.example.org');
    expect(tagOf(signed, 's')).toBe('mail');
  });

  it('keeps the message its pieces, shared Buffers and all, with the signature in front', async () => {
    const pieces = [Buffer.from('From: a@b.example\r\n'), Buffer.from('\r\nbody\r\n')];
    const signed = await sign(pieces);
    expect(signed).toHaveLength(3);
    expect(signed[1]).toBe(pieces[0]);
    expect(signed[2]).toBe(pieces[1]);
  });

  it('canonicalises as RFC 6376 3.4.5 shows, the header block ending anywhere in the pieces', async () => {
    const text = 'A: X\r\nB : Y\t\r\n\tZ  \r\nFrom: a@b.example\r\n\r\n C \r\nD \t E\r\n\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) {
      const signed = await signedText([Buffer.from(text.slice(0, cut)), Buffer.from(text.slice(cut))]);
      expect(tagOf(signed, 'bh')).toBe(sha256(' C\r\nD E\r\n'));
      expect(dkimFailure(signed, publicKey)).toBeUndefined();
    }
    const empty = sha256('');
    for (const body of ['', '\r\n', '\r\n\r\n', ' \r\n\t\r\n']) {
      expect(tagOf(await signedText([Buffer.from(`From: a@b.example\r\n\r\n${body}`)]), 'bh')).toBe(empty);
    }
    const bodies = { x: 'x\r\n', 'x\ty\r\n': 'x y\r\n', 'x \r\ny\r\n': 'x\r\ny\r\n', 'x  y\r\n': 'x y\r\n' };
    for (const [body, canonical] of Object.entries(bodies)) {
      const signed = await signedText([Buffer.from(`From: a@b.example\r\n\r\n${body}`)]);
      expect(tagOf(signed, 'bh'), JSON.stringify(body)).toBe(sha256(canonical));
    }
  });

  it('signs exactly as Nodemailer does, over random messages in random pieces', async () => {
    const next = random(20261203);
    const atoms = ['a', 'b', '.', ' ', '  ', '\t', '\r\n', '\r', 'é', '=', ' \r\n', '\r\n\r\n'];
    const plain = atoms.filter((atom) => !/[ \t\r]/.test(atom) || atom === '\r\n');
    const spacey = atoms.filter((atom) => !plain.includes(atom));
    for (let round = 0; round < 300; round++) {
      let body = '';
      // Mostly plain text with now and then some whitespace, as a digest is: most pieces and
      // joints are canonical, and the few that are not must be found among them.
      const sparse = next(2) === 0;
      // Short bodies of few kinds of atom too: each kind alone must be canonicalised.
      const kinds = next(2) ? atoms.length : 2 + next(3);
      const atom = () =>
        sparse
          ? next(12) === 0
            ? spacey[next(spacey.length)]
            : plain[next(plain.length)]
          : atoms[next(kinds) + (kinds < atoms.length ? 2 : 0)];
      // Long ones in long pieces too: pieces the size of a compiled message's shared text.
      const long = next(4) === 0;
      for (let length = next(long ? 2000 : 80); length > 0; length--) body += atom();
      if (sparse || next(2)) body += 'z\r\n';
      const headers = [
        'From: Digest <digest@papers.example.org>',
        `Subject: ${next(2) ? 'x  \t y' : 'plain'}`,
        'To: reader@example.com',
        ...(next(2)
          ? ['List-Unsubscribe: <https://u.example/x>', 'List-Unsubscribe-Post: List-Unsubscribe=One-Click']
          : []),
        `Message-ID: <${round}@papers.example.org>`,
        'X-Other: not signed',
        'Content-Type: text/plain;\r\n charset=utf-8',
      ];
      const message = Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}`, 'utf8');
      const pieces: Buffer[] = [];
      for (let at = 0; at < message.length; ) {
        const end = Math.min(message.length, at + 1 + next(long ? 1500 : 40));
        pieces.push(message.subarray(at, end));
        at = end;
      }
      const reference = await nodemailerSignature(message);
      // Twice with the same Buffers: what is remembered of a shared piece must hold the second time.
      for (const time of ['first', 'again']) {
        const ours = (await signedText(pieces)).split(/\r\n(?![ \t])/)[0]?.replace(/\s+/g, '');
        expect(ours, `round ${round} ${time}: ${JSON.stringify(message.toString('latin1'))}`).toBe(reference);
      }
    }
  });

  it('refuses a key that cannot sign rsa-sha256, saying why', () => {
    expect(() => createDkimSigner({ ...options, privateKey: 'not a key' })).toThrowError(
      /DKIM private key: not a PEM private key/,
    );
    const ed25519 = generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(() => createDkimSigner({ ...options, privateKey: ed25519 })).toThrowError(/RSA key.*ed25519/);
  });
});
