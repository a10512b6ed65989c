import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, verify } from 'node:crypto';

/**
 * DKIM for a worker (its DKIM_* settings) with a fresh 2,048-bit RSA key for `domain`, and the
 * public key that verifies what it signs.
 */
export function dkimSettings(
  domain: string,
  selector = 'mail',
): { env: Record<string, string>; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    env: {
      DKIM_DOMAIN: domain,
      DKIM_SELECTOR: selector,
      DKIM_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    },
    publicKey,
  };
}

/**
 * Checks an `rsa-sha256`, `relaxed/relaxed` DKIM signature (RFC 6376) of a message as received,
 * with the signer's public key: an implementation of its own, so a test does not trust the signer
 * it checks. Returns why it fails, or undefined when the signature verifies.
 */
export function dkimFailure(raw: string, publicKey: KeyObject | string): string | undefined {
  const split = raw.indexOf('\r\n\r\n');
  const headers = unfoldHeaders(raw.slice(0, split + 2));
  const body = raw.slice(split + 4);
  const signature = headers.find((header) => header.name === 'dkim-signature');
  if (!signature) return 'no DKIM-Signature header';
  const tags = new Map(
    signature.value.split(';').map((tag) => {
      const at = tag.indexOf('=');
      return [tag.slice(0, at).trim(), tag.slice(at + 1).replace(/\s+/g, '')] as const;
    }),
  );
  if (tags.get('a') !== 'rsa-sha256' || tags.get('c') !== 'relaxed/relaxed')
    return `unsupported ${signature.value}`;
  const bodyHash = createHash('sha256').update(relaxedBody(body)).digest('base64');
  if (bodyHash !== tags.get('bh')) return `body hash ${bodyHash} is not bh=${tags.get('bh')}`;

  // Each name in h= takes the next instance of that header from the bottom (RFC 6376 5.4.2).
  const remaining = [...headers];
  const signed = (tags.get('h') ?? '').split(':').flatMap((name) => {
    const at = remaining.findLastIndex(
      (header) => header.name === name.toLowerCase() && header !== signature,
    );
    if (at === -1) return [];
    const [header] = remaining.splice(at, 1);
    return [relaxedHeader(header as Header)];
  });
  const unsigned = signature.value.replace(/(^|;)(\s*b\s*=)[^;]*/, '$1$2');
  const input = `${signed.join('')}${relaxedHeader({ name: 'dkim-signature', value: unsigned }).slice(0, -2)}`;
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  const ok = verify('sha256', Buffer.from(input), key, Buffer.from(tags.get('b') ?? '', 'base64'));
  return ok ? undefined : 'the signature does not verify';
}

interface Header {
  name: string;
  value: string;
}

function unfoldHeaders(block: string): Header[] {
  return block
    .replace(/\r\n(?=[ \t])/g, '')
    .split('\r\n')
    .filter(Boolean)
    .map((line) => {
      const at = line.indexOf(':');
      return { name: line.slice(0, at).trim().toLowerCase(), value: line.slice(at + 1) };
    });
}

function relaxedHeader({ name, value }: Header): string {
  return `${name}:${value.replace(/[ \t]+/g, ' ').trim()}\r\n`;
}

function relaxedBody(body: string): string {
  const lines = body.split('\r\n').map((line) => line.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines.length === 0 ? '' : `${lines.join('\r\n')}\r\n`;
}
