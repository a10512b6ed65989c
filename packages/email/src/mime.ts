import { randomBytes, randomUUID } from 'node:crypto';
import { encodeWords, foldLines } from 'nodemailer/lib/mime-funcs';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';
import { escapeHtml, stripLineBreaks } from './html.ts';
import { type SlotMarkers, slotMarkers } from './templates/placeholders.ts';

/** Per-recipient values, substituted into a message compiled once per issue. */
export interface Recipient {
  to: string;
  unsubscribeUrl?: string;
  preferencesUrl?: string;
}

type SlotName = 'to' | 'messageId' | 'date' | 'unsubscribeUrl' | 'preferencesUrl';
type SlotContext = 'header' | 'text' | 'html';
type Slot = { slot: SlotName; context: SlotContext };
/** A piece of a message being compiled: text, bytes shared with other messages, or a slot. */
type Segment = string | Buffer | Slot;

/**
 * A complete MIME message with holes where the recipient's values go. The text between them is
 * encoded once: every copy shares those bytes, and only its own values are new.
 */
export interface CompiledMessage {
  readonly from: string;
  readonly envelopeFrom: string;
  readonly messageIdDomain: string;
  readonly segments: readonly (Buffer | Slot)[];
}

/**
 * A piece of a body given in parts. A recurring one (a fixed piece of a shell that many messages
 * share) is encoded once per `PartEncodings` and its bytes shared by every message made with it.
 */
export type BodyPart = string | { readonly recurring: string };

/** Encodings of recurring HTML parts, by their text: one per shell, whose slot markers they hold. */
export type PartEncodings = Map<string, readonly (Buffer | Slot)[]>;

/** The body that `parts` spell. */
export function joinParts(parts: readonly BodyPart[]): string {
  return parts.map((part) => (typeof part === 'string' ? part : part.recurring)).join('');
}

export interface MessageSource {
  /** RFC 5322 From, e.g. `Daily Papers <digest@example.org>`. */
  from: string;
  subject: string;
  /** In parts, each is encoded on lines of its own (a soft break between two). */
  html: string | readonly BodyPart[];
  text: string;
  /**
   * The nonce the renderer put in the slot markers of `html` and `text` (see `slotMarkers`); only
   * those markers are filled per recipient. Null: the bodies have no slots.
   */
  slotNonce: string | null;
  /** Adds List-Unsubscribe (+ One-Click) headers pointing at the recipient's unsubscribe URL. */
  listUnsubscribe?: { mailto?: string };
  /** Extra fixed headers, e.g. List-Id. */
  headers?: Record<string, string>;
}

const QP_LINE = 76;
/** A piece of a body may be followed by a soft break (`=`), which must fit on its last line. */
const QP_PIECE_LINE = QP_LINE - 1;
const SOFT_BREAK = '=\r\n';

/**
 * Builds the whole message once: headers, boundaries and quoted-printable bodies. Each hole ends
 * the encoded line before it with a soft break, so a value is encoded on its own lines and a
 * placeholder is never split by wrapping. Recurring HTML parts are encoded once into `encodings`.
 */
export function compileMessage(source: MessageSource, encodings: PartEncodings = new Map()): CompiledMessage {
  const envelopeFrom = addressOf(source.from);
  const markers = source.slotNonce === null ? null : slotMarkers(source.slotNonce);
  const boundary = `=_digest_${randomBytes(12).toString('hex')}`;
  const segments: Segment[] = [];
  const header = (name: string, value: string) =>
    segments.push(foldLines(`${name}: ${value}`, QP_LINE), '\r\n');

  header('From', encodeWords(stripLineBreaks(source.from), 'Q', 52));
  segments.push('To: ', { slot: 'to', context: 'header' }, '\r\n');
  header('Subject', encodeWords(stripLineBreaks(source.subject), 'Q', 52));
  segments.push('Date: ', { slot: 'date', context: 'header' }, '\r\n');
  segments.push('Message-ID: ', { slot: 'messageId', context: 'header' }, '\r\n');
  if (source.listUnsubscribe) {
    const mailto = source.listUnsubscribe.mailto
      ? `, <mailto:${stripLineBreaks(source.listUnsubscribe.mailto)}?subject=unsubscribe>`
      : '';
    segments.push('List-Unsubscribe: <', { slot: 'unsubscribeUrl', context: 'header' }, `>${mailto}\r\n`);
    segments.push('List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n');
    header('List-Id', listId(source.from, envelopeFrom));
  }
  for (const [name, value] of Object.entries(source.headers ?? {})) header(name, stripLineBreaks(value));
  segments.push(
    'MIME-Version: 1.0\r\n',
    `Content-Type: multipart/alternative; boundary="${boundary}"\r\n`,
    '\r\n',
    `--${boundary}\r\n`,
    'Content-Type: text/plain; charset=utf-8\r\n',
    'Content-Transfer-Encoding: quoted-printable\r\n\r\n',
    ...encodeText(source.text, 'text', markers),
    `\r\n--${boundary}\r\n`,
    'Content-Type: text/html; charset=utf-8\r\n',
    'Content-Transfer-Encoding: quoted-printable\r\n\r\n',
    ...encodeHtml(typeof source.html === 'string' ? [source.html] : source.html, markers, encodings),
    `\r\n--${boundary}--\r\n`,
  );

  return {
    from: source.from,
    envelopeFrom,
    messageIdDomain: envelopeFrom.split('@')[1] ?? 'localhost',
    segments: toBuffers(segments),
  };
}

/**
 * The recipient's copy, as the pieces of the message in order (the transport writes them as
 * they are): the shared bytes and a few short encodings, no parsing, rendering or copying.
 */
export function personalise(
  message: CompiledMessage,
  recipient: Recipient,
): { raw: Buffer[]; messageId: string } {
  const messageId = `<${randomUUID()}@${message.messageIdDomain}>`;
  const values: Record<SlotName, string> = {
    to: stripLineBreaks(recipient.to),
    messageId,
    date: new Date().toUTCString().replace('GMT', '+0000'),
    unsubscribeUrl: recipient.unsubscribeUrl ?? '',
    preferencesUrl: recipient.preferencesUrl ?? '',
  };
  const raw = message.segments.map((segment) =>
    Buffer.isBuffer(segment)
      ? segment
      : Buffer.from(encodeSlot(values[segment.slot], segment.context), 'utf8'),
  );
  return { raw, messageId };
}

function encodeHtml(
  parts: readonly BodyPart[],
  markers: SlotMarkers | null,
  encodings: PartEncodings,
): Segment[] {
  const shared = (text: string) => {
    let encoded = encodings.get(text);
    if (!encoded) {
      encoded = toBuffers(encodeText(text, 'html', markers));
      encodings.set(text, encoded);
    }
    return encoded;
  };
  const segments: Segment[] = [];
  for (const part of parts) {
    const text = typeof part === 'string' ? part : part.recurring;
    if (text === '') continue;
    if (segments.length > 0) segments.push(SOFT_BREAK);
    segments.push(...(typeof part === 'string' ? encodeText(text, 'html', markers) : shared(text)));
  }
  return segments;
}

/** One part of a body: quoted-printable, with a slot for each of the markers in it. */
function encodeText(body: string, context: 'text' | 'html', markers: SlotMarkers | null): Segment[] {
  const segments: Segment[] = [];
  const slots = new Map(Object.entries(markers ?? {}).map(([slot, marker]) => [marker, slot as SlotName]));
  const crlf = body.replace(/\r?\n/g, '\r\n');
  // Markers are braces, letters, `_`, `:` and hex: only the braces need escaping in the pattern.
  const pattern = [...slots.keys()].map((marker) => marker.replace(/[{}]/g, '\\$&')).join('|');
  const pieces = pattern ? crlf.split(new RegExp(`(${pattern})`)) : [crlf];
  pieces.forEach((piece, index) => {
    const slot = slots.get(piece);
    if (index % 2 === 1 && slot) segments.push({ slot, context });
    else if (piece)
      segments.push(qpWrap(qpEncode(piece), QP_PIECE_LINE), index < pieces.length - 1 ? SOFT_BREAK : '');
  });
  return segments;
}

function encodeSlot(value: string, context: SlotContext): string {
  if (context === 'header') return stripLineBreaks(value);
  const content = context === 'html' ? escapeHtml(value) : value;
  return `${qpWrap(qpEncode(content), QP_PIECE_LINE)}${SOFT_BREAK}`;
}

/** The segments as the bytes they are sent as: neighbouring strings as one Buffer. */
function toBuffers(segments: Segment[]): (Buffer | Slot)[] {
  return mergeStrings(segments).map((segment) =>
    typeof segment === 'string' ? Buffer.from(segment, 'utf8') : segment,
  );
}

function mergeStrings(segments: Segment[]): Segment[] {
  const merged: Segment[] = [];
  for (const segment of segments) {
    const last = merged.at(-1);
    if (typeof segment === 'string' && typeof last === 'string') merged[merged.length - 1] = last + segment;
    else if (segment !== '') merged.push(segment);
  }
  return merged;
}

/**
 * RFC 2919 List-Id of mail to subscribers, made from the sender: `Daily Papers <digest.example.org>`
 * for `Daily Papers <digest@example.org>`. Lets readers filter the list and clients offer unsubscribe.
 */
function listId(from: string, address: string): string {
  const label = address
    .replace('@', '.')
    .replace(/[^\w.-]/g, '-')
    .toLowerCase();
  const name = stripLineBreaks(from.slice(0, from.indexOf('<')).replace(/"/g, '')).trim();
  return encodeWords(name ? `${name} <${label}>` : `<${label}>`, 'Q', 52);
}

/** The bare address of `Name <address>` or of a bare address. */
function addressOf(mailbox: string): string {
  const match = /<([^<>\s]+@[^<>\s]+)>\s*$/.exec(mailbox);
  return (match?.[1] ?? mailbox).trim();
}
