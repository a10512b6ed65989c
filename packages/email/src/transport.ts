import nodemailer from 'nodemailer';
import type { NodemailerError } from 'nodemailer/lib/errors';

export interface OutgoingMessage {
  /** Envelope sender (bounce address). */
  from: string;
  /** Envelope recipient. */
  to: string;
  /** The complete RFC 5322 message, already personalised. */
  raw: string;
}

export interface MailTransport {
  send(message: OutgoingMessage): Promise<{ response: string }>;
  /** Resolves when the server answers a connection; rejects with the reason otherwise. */
  verify(): Promise<void>;
  close(): void;
}

export interface SmtpOptions {
  /** smtp://[user:pass@]host:port, or smtps:// for implicit TLS. */
  url: string;
  poolSize: number;
  dkim?: { domainName: string; keySelector: string; privateKey: string };
}

/**
 * Pooled SMTP through Nodemailer. Messages go as `raw` with an explicit envelope: Nodemailer
 * neither parses nor rebuilds them, and DKIM still signs each one.
 */
export function createSmtpTransport(options: SmtpOptions): MailTransport {
  const transporter = nodemailer.createTransport({
    pool: true,
    // Nodemailer reads host, port, credentials and any `?tls.…`/`?ignoreTLS=` options from the URL.
    url: options.url,
    maxConnections: options.poolSize,
    maxMessages: Number.POSITIVE_INFINITY,
    // A relay on this machine (a mail catcher, a local MTA) often offers STARTTLS with a
    // self-signed certificate; the connection never leaves the host, so it is not verified.
    ...(isLoopback(new URL(options.url).hostname) ? { tls: { rejectUnauthorized: false } } : {}),
    dkim: options.dkim,
  });
  return {
    async send(message) {
      const info = await transporter.sendMail({
        envelope: { from: message.from, to: [message.to] },
        raw: message.raw,
      });
      return { response: info.response };
    },
    async verify() {
      await transporter.verify();
    },
    close() {
      transporter.close();
    },
  };
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * What a failed send means for the delivery:
 * - `relay`: no reply at all (refused, timed out, dropped): the relay is away, not the mailbox;
 * - `throttled`: 421 or an enhanced 4.7.x: the receiving domain asks us to slow down;
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
 * Nodemailer's codes of a refusal about one message: the recipient (`EENVELOPE`, at RCPT TO) or
 * its content (`EMESSAGE`, at DATA). Anything else (the greeting, TLS, login, MAIL FROM, a dropped
 * connection) is the relay refusing us, whatever its reply code: it must never be blamed on the
 * recipient, or one rotated password would bounce the whole list.
 */
const MESSAGE_CODES = new Set(['EENVELOPE', 'EMESSAGE']);

export function classifySendError(error: unknown): SendFailure {
  const failure = error as Partial<NodemailerError> & { code?: string; command?: string };
  const reason = (failure.response ?? failure.message ?? String(error)).replace(/\s+/g, ' ').slice(0, 500);
  const reply = failure.responseCode;
  const enhanced = /^\d{3}[ -](\d\.\d{1,3}\.\d{1,3})\b/.exec(failure.response ?? '')?.[1];
  // Throttling closes the session (Nodemailer reports 421 as a closed connection); a login refused
  // with 4.7.x is the relay's own business, not the domain's.
  const throttling = reply === 421 || (enhanced?.startsWith('4.7.') && failure.code !== 'EAUTH');
  if (throttling) return { kind: 'throttled', reason };
  const aboutMessage = MESSAGE_CODES.has(failure.code ?? '') && failure.command !== 'MAIL FROM';
  if (!aboutMessage) return { kind: 'relay', reason };
  // Refused before any reply (no recipient left, a malformed address): it will not pass.
  if (!reply) return { kind: 'rejected', reason };
  if (reply < 500 || reply === 503) return { kind: 'transient', reason };
  if (enhanced) {
    if (enhanced.startsWith('5.1.')) return { kind: 'mailbox', reason };
    if (enhanced.startsWith('5.2.')) return { kind: 'full', reason };
    return { kind: 'rejected', reason };
  }
  if (reply === 550 || reply === 551 || reply === 553) return { kind: 'mailbox', reason };
  if (reply === 552) return { kind: 'full', reason };
  return { kind: 'rejected', reason };
}
