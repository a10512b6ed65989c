import { createHash, createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { foldLines } from 'nodemailer/lib/mime-funcs';
import { lastBytes, perPiece, perSharedPiece } from './shared-pieces.ts';

export interface DkimOptions {
  domainName: string;
  keySelector: string;
  /** PEM, PKCS#1 or PKCS#8; an RSA key. */
  privateKey: string;
}

/**
 * The headers signed when present (RFC 6376 5.4.1), with List-Unsubscribe-Post beside
 * List-Unsubscribe: RFC 8058 one-click unsubscribe counts only when the signature covers both.
 */
const SIGNED_HEADERS = [
  'from',
  'sender',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'to',
  'cc',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'content-id',
  'content-description',
  'in-reply-to',
  'references',
  'list-id',
  'list-help',
  'list-unsubscribe',
  'list-unsubscribe-post',
  'list-subscribe',
  'list-post',
  'list-owner',
  'list-archive',
];

const HEADER_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/**
 * Signs messages `rsa-sha256`, `relaxed/relaxed` (RFC 6376). The key is parsed once; the RSA
 * signature, most of the cost, is made on libuv's thread pool, off the event loop that feeds the
 * SMTP sessions. A message stays the pieces it came in (shared Buffers stay shared): the
 * signature is one more piece in front. Throws here on a key that cannot sign.
 */
export function createDkimSigner(options: DkimOptions): (message: readonly Buffer[]) => Promise<Buffer[]> {
  const key = rsaKey(options.privateKey);
  // A tag value cannot carry a control character or end its tag (`;`) or start another (`=`).
  const tag = (value: string) => value.replace(/[\p{Cc};=\s]/gu, '');
  const domain = domainToASCII(tag(options.domainName)) || tag(options.domainName);
  const selector = tag(options.keySelector);
  return async (message) => {
    const { header, body } = splitMessage(message);
    const headers = signedHeaders(header);
    const hash = createHash('sha256');
    for (const piece of relaxedBody(body)) hash.update(piece);
    const bodyHash = hash.digest('base64');
    const tags = [
      'v=1',
      'a=rsa-sha256',
      'c=relaxed/relaxed',
      `d=${domain}`,
      'q=dns/txt',
      `s=${selector}`,
      `bh=${bodyHash}`,
      `h=${headers.map(({ name }) => name).join(':')}`,
    ];
    const unsigned = `${foldLines(`DKIM-Signature: ${tags.join('; ')}`, 76)};\r\n b=`;
    // What is signed: each signed header, then this one with b= empty and no line end (3.7).
    const input = [...headers.map(({ line }) => relaxedHeader(line)), relaxedHeader(unsigned)].join('\r\n');
    const signature = await new Promise<Buffer>((resolve, reject) =>
      sign('sha256', Buffer.from(input, 'latin1'), key, (error, made) =>
        error ? reject(error) : resolve(made),
      ),
    );
    const b = signature
      .toString('base64')
      .replace(/.{1,72}/g, (chunk, at: number) => (at ? `\r\n ${chunk}` : chunk));
    return [Buffer.from(`${unsigned}${b}\r\n`, 'latin1'), ...message];
  };
}

function rsaKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new Error(`DKIM private key: not a PEM private key (${(error as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'rsa')
    throw new Error(`DKIM private key: an RSA key is needed for rsa-sha256, got ${key.asymmetricKeyType}`);
  return key;
}

/** The header block (with its last line's CRLF) as text, and the body's pieces (not copied). */
function splitMessage(message: readonly Buffer[]): { header: string; body: Buffer[] } {
  const reach = HEADER_END.length - 1;
  for (const [index, piece] of message.entries()) {
    const before = message.slice(0, index);
    // The end may straddle this piece and those before it; most often it lies in a shared one.
    const tail = lastBytes(before, reach);
    const across = Buffer.concat([tail, piece.subarray(0, reach)]).indexOf(HEADER_END);
    const split = across === -1 ? headerEndIn(piece) : { at: across - tail.length, rest: undefined };
    if (!split) continue;
    // Up to the CRLF that ends the last header line, which may lie in the pieces before.
    const head = Buffer.concat([...before, piece.subarray(0, Math.max(0, split.at + 2))]);
    return {
      header: head.toString('latin1', 0, head.length + Math.min(0, split.at + 2)),
      body: [split.rest ?? piece.subarray(split.at + HEADER_END.length), ...message.slice(index + 1)],
    };
  }
  return { header: Buffer.concat(message).toString('latin1'), body: [] }; // headers only: an empty body
}

/** Where the header block ends in a piece, and the body's part of it (one Buffer for every copy). */
const headerEndIn = perSharedPiece((piece) => {
  const at = piece.indexOf(HEADER_END);
  return at === -1 ? undefined : { at, rest: piece.subarray(at + HEADER_END.length) };
});

/** The header lines to sign, each name's last instance (5.4.2), in SIGNED_HEADERS order. */
function signedHeaders(block: string): { name: string; line: string }[] {
  const lines = block.split(/\r\n(?![ \t])/).filter(Boolean);
  const byName = new Map<string, string>();
  for (const line of lines) byName.set(line.slice(0, line.indexOf(':')).trim().toLowerCase(), line);
  return SIGNED_HEADERS.flatMap((name) => {
    const line = byName.get(name);
    return line === undefined ? [] : [{ name, line }];
  });
}

/** Relaxed header canonicalisation (3.4.2): lower-case name, unfolded, runs of WSP as one SP, trimmed. */
function relaxedHeader(line: string): string {
  const colon = line.indexOf(':');
  const name = line.slice(0, colon).trim().toLowerCase();
  const value = line
    .slice(colon + 1)
    .replace(/\r\n(?=[ \t])/g, '')
    .replace(/[ \t]+/g, ' ')
    .trim();
  return `${name}:${value}`;
}

/**
 * Relaxed body canonicalisation (3.4.4): no WSP at a line's end, runs of WSP as one SP, no empty
 * lines at the end, a CRLF after the last line. Each piece is canonicalised on its own (a shared
 * one once, for every copy that carries it) and hashed as it is; only where WSP meets a joint
 * between pieces, or the end is not one line end, is the body put together and done whole.
 */
function relaxedBody(body: readonly Buffer[]): readonly Buffer[] {
  // An empty piece would hide the joint of the two around it.
  const pieces = body.filter((piece) => piece.length > 0).map(canonicalPiece);
  const end = lastBytes(pieces, HEADER_END.length);
  if (end.length === 0) return pieces;
  const endsWell = end.length > 2 && end.subarray(-2).equals(CRLF) && !end.equals(HEADER_END);
  if (endsWell && pieces.every((piece, index) => index === 0 || joinsCleanly(pieces[index - 1], piece)))
    return pieces;
  const text = Buffer.concat(body)
    .toString('latin1')
    .replace(/[ \t]+(?=\r\n|$)/g, '')
    .replace(/[ \t]+/g, ' ');
  // Empty lines at the end go, counted from the end: a pattern anchored at $ is tried at every offset.
  let kept = text.length;
  while (text.endsWith('\r\n', kept)) kept -= 2;
  return kept === 0 ? [] : [Buffer.from(`${text.slice(0, kept)}\r\n`, 'latin1')];
}

const SP = 0x20;
const CR = 0x0d;
const LF = 0x0a;

/**
 * A piece canonicalised on its own: runs of WSP as one SP, none before a CRLF within it. Most
 * are canonical as they come (the same Buffer back). One that is not is worked out once per
 * Buffer, however short: that is the shell's own text (its indentation), in every copy.
 */
function canonicalPiece(piece: Buffer): Buffer {
  return isCanonical(piece) ? piece : canonicalised(piece);
}

const isCanonical = perSharedPiece(
  (piece) => piece.indexOf(0x09) === -1 && piece.indexOf('  ') === -1 && piece.indexOf(' \r') === -1,
);

const canonicalised = perPiece((piece) => {
  const text = piece
    .toString('latin1')
    .replace(/[ \t]+(?=\r\n)/g, '')
    .replace(/[ \t]+/g, ' ');
  return Buffer.from(text, 'latin1');
});

/**
 * Whether two canonical pieces stay canonical end to end: no run of WSP across the joint, and no
 * WSP before a line end split by it (after a lone CR too).
 */
function joinsCleanly(before: Buffer | undefined, after: Buffer): boolean {
  const last = before?.at(-1);
  if (last === SP) return after[0] !== SP && after[0] !== CR;
  return !(last === CR && before?.at(-2) === SP && after[0] === LF);
}
