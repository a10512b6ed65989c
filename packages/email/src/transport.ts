import { domainToASCII } from 'node:url';
import { createDkimSigner, type DkimOptions } from './dkim.ts';
import { perSharedPiece } from './shared-pieces.ts';
import { END_OF_DATA_COMMAND, SmtpConnection, SmtpError } from './smtp-connection.ts';
import { parseSmtpUrl } from './smtp-options.ts';
import { SmtpPool } from './smtp-pool.ts';

export interface OutgoingMessage {
  /** Envelope sender (bounce address). */
  from: string;
  /** Envelope recipient. */
  to: string;
  /** The complete RFC 5322 message with CRLF line ends, already personalised: whole or in pieces. */
  raw: string | readonly Buffer[];
  /**
   * Settles once the sender has durably recorded this message's outcome. Until then the session
   * that carried it writes no other message, so a crash leaves at most one message per session
   * accepted and unrecorded. Left out: nothing to wait for.
   */
  recorded?: Promise<unknown>;
  /**
   * Aborted once the message must not be accepted any more (the sender can no longer record the
   * outcome, or no longer holds the delivery). Still waiting for a session, it is dropped at
   * once; on its way, it is cut off before its end (which ends that session). Either way `send`
   * rejects with the signal's reason (droppedBySender).
   */
  signal?: AbortSignal;
}

/** Whether `send` failed because the message's own signal dropped it: the relay had no say. */
export function droppedBySender(error: unknown, message: Pick<OutgoingMessage, 'signal'>): boolean {
  return message.signal?.aborted === true && error === message.signal.reason;
}

export interface MailTransport {
  send(message: OutgoingMessage): Promise<{ response: string }>;
  /** Resolves when the server answers a connection; rejects with the reason otherwise. */
  verify(): Promise<void>;
  /** Opens the pool's sessions ahead of a send about to start; never fails (sends will). */
  connect(): void;
  close(): void;
}

export interface SmtpOptions {
  /** smtp://[user:pass@]host:port, or smtps:// for implicit TLS (options: see parseSmtpUrl). */
  url: string;
  poolSize: number;
  dkim?: DkimOptions;
}

/**
 * Pooled SMTP for messages that are already complete: each goes out as it is (DKIM-signed when
 * configured), one round trip after the envelope's, with nothing parsed or rebuilt on the way
 * (see smtp-connection.ts).
 */
export function createSmtpTransport(options: SmtpOptions): MailTransport {
  const endpoint = parseSmtpUrl(options.url);
  const pool = new SmtpPool(endpoint, options.poolSize);
  const sign = options.dkim ? createDkimSigner(options.dkim) : undefined;
  // Every message of an issue has the same sender: its address is worked out once.
  let sender: { text: string; address: EnvelopeAddress } | undefined;
  return {
    async send(message) {
      if (sender?.text !== message.from)
        sender = { text: message.from, address: envelopeAddress(message.from) };
      const from = sender.address;
      const to = envelopeAddress(message.to);
      // A string from elsewhere gets CRLF line ends; compileMessage's pieces have nothing else.
      const raw = typeof message.raw === 'string' ? [Buffer.from(crlf(message.raw), 'utf8')] : message.raw;
      const signed = sign ? await sign(raw) : raw;
      const response = await pool.send({
        from: from.address,
        to: to.address,
        data: dotStuffed(signed),
        smtpUtf8: from.utf8 || to.utf8,
        recorded: message.recorded,
        signal: message.signal,
      });
      return { response };
    },
    async verify() {
      await (await SmtpConnection.open(endpoint)).quit();
    },
    connect() {
      pool.connect();
    },
    close() {
      pool.close();
    },
  };
}

/**
 * The address as the envelope carries it: the domain in ASCII (punycode), and whether the local
 * part needs SMTPUTF8. Anything that could end the command line or the path is refused here.
 */
interface EnvelopeAddress {
  address: string;
  utf8: boolean;
}

function envelopeAddress(address: string): EnvelopeAddress {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const written = address.slice(at + 1);
  // domainToASCII would quietly drop whitespace and control characters: refuse them first.
  const domain = at > 0 && !/[\s<>[\]\p{Cc}]/u.test(written) ? domainToASCII(written) : '';
  if (!domain || /[\s<>\p{Cc}]/u.test(local)) {
    throw new SmtpError('EENVELOPE', `not a deliverable address: ${JSON.stringify(address.slice(0, 200))}`);
  }
  return { address: `${local}@${domain}`, utf8: /[^\p{ASCII}]/u.test(local) };
}

const DOT = 0x2e;
const CR = 0x0d;
const LF = 0x0a;
const DOT_BUFFER = Buffer.from('.');

/**
 * The message as DATA carries it: a dot that starts a line doubled (RFC 5321 4.5.2), after a
 * bare CR or LF too, so no reading of line ends finds an end of data inside it. Most pieces have
 * no such dot: two native scans each (once for shared ones), no copy. Empty pieces are dropped.
 */
export function dotStuffed(pieces: readonly Buffer[]): Buffer[] {
  let atLineStart = true;
  const stuffed: Buffer[] = [];
  for (const piece of pieces) {
    if (piece.length === 0) continue;
    // A piece's first byte starts a line when the piece before ended one.
    if (atLineStart && piece[0] === DOT) stuffed.push(DOT_BUFFER);
    stuffed.push(stuffPiece(piece));
    const last = piece[piece.length - 1];
    atLineStart = last === LF || last === CR;
  }
  return stuffed;
}

/** Shared pieces are stuffed once, for every copy that carries them. */
const stuffPiece = perSharedPiece(stuffInside);

/** Doubles each dot that follows a CR or LF within `piece`. */
function stuffInside(piece: Buffer): Buffer {
  if (piece.indexOf('\n.') === -1 && piece.indexOf('\r.') === -1) return piece;
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = piece.indexOf(DOT, 1); at !== -1; at = piece.indexOf(DOT, at + 1)) {
    if (piece[at - 1] !== LF && piece[at - 1] !== CR) continue;
    parts.push(piece.subarray(from, at), DOT_BUFFER);
    from = at;
  }
  parts.push(piece.subarray(from));
  return Buffer.concat(parts);
}

/** Bare CR and bare LF become CRLF, as SMTP and DKIM read line ends. */
function crlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\r\n');
}

/**
 * What a failed send means for the delivery:
 * - `relay`: no reply at all (refused, timed out, dropped), or a 421 that is not 4.7.x (the relay
 *   shutting down or full): the relay is away, not the mailbox;
 * - `throttled`: an enhanced 4.7.x (421 4.7.0, 450 4.7.1): the receiving domain asks us to slow down;
 * - `transient`: any other 4xx (and 503, a session-state error): try the same message later;
 * - `mailbox`: the address does not exist (550, 551, 553 or an enhanced 5.1.x): never mail it again;
 * - `full`: the mailbox exists but takes nothing now (552, enhanced 5.2.x): a soft bounce;
 * - `rejected`: any other 5xx: this message will not pass.
 */
export type SendFailureKind = 'relay' | 'throttled' | 'transient' | 'mailbox' | 'full' | 'rejected';

export interface SendFailure {
  kind: SendFailureKind;
  /** The server's reply, or the local error when there was none. */
  reason: string;
}

/**
 * The codes of a refusal about one message (Nodemailer's, which smtp-connection.ts uses too):
 * the recipient (`EENVELOPE`, at RCPT TO) or its content (`EMESSAGE`, at DATA). Anything else (the
 * greeting, TLS, login, MAIL FROM, a dropped connection) is the relay refusing us, whatever its
 * reply code: it must never be blamed on the recipient, or one rotated password would bounce the
 * whole list.
 */
const MESSAGE_CODES = new Set(['EENVELOPE', 'EMESSAGE']);
/** The commands whose replies can be about the recipient or the message. */
const RECIPIENT_COMMANDS = new Set(['RCPT TO', 'DATA', END_OF_DATA_COMMAND]);
/** A relay refusing to relay for us, at any command: our login or address, never the mailbox. */
const RELAY_POLICY =
  /relay(ing)? (access )?(denied|not permitted)|authentication required|must issue a starttls/i;

export function classifySendError(error: unknown): SendFailure {
  const failure = error as Partial<SmtpError>;
  const reason = (failure.response ?? failure.message ?? String(error)).replace(/\s+/g, ' ').slice(0, 500);
  const reply = failure.responseCode;
  const enhanced = /^\d{3}[ -](\d\.\d{1,3}\.\d{1,3})\b/.exec(failure.response ?? '')?.[1];
  // No command: refused here before a word was sent (a malformed address).
  const atRecipient = failure.command === undefined || RECIPIENT_COMMANDS.has(failure.command);
  // Slow down, about the recipient's domain (421 4.7.0, 450 4.7.1 at RCPT or DATA). The same
  // before RCPT (greeting, login, MAIL FROM), or a 421 without 4.7.x, is the relay's own.
  if (atRecipient && reply && enhanced?.startsWith('4.7.')) return { kind: 'throttled', reason };
  if (!(MESSAGE_CODES.has(failure.code ?? '') && atRecipient)) return { kind: 'relay', reason };
  if (reply === 530 || RELAY_POLICY.test(reason)) return { kind: 'relay', reason };
  // Refused before any reply (no recipient left, a malformed address): it will not pass.
  if (!reply) return { kind: 'rejected', reason };
  if (reply < 500 || reply === 503) return { kind: 'transient', reason };
  if (enhanced) {
    if (enhanced.startsWith('5.1.')) return { kind: 'mailbox', reason };
    if (enhanced.startsWith('5.2.')) return { kind: 'full', reason };
    return { kind: 'rejected', reason };
  }
  // A bare 550 after the message (a virus, a policy) refuses the content, not the address.
  const aboutAddress = failure.command !== END_OF_DATA_COMMAND;
  if (aboutAddress && (reply === 550 || reply === 551 || reply === 553)) return { kind: 'mailbox', reason };
  if (reply === 552) return { kind: 'full', reason };
  return { kind: 'rejected', reason };
}
