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

/** Nodemailer's codes for a connection that failed before the server said anything useful. */
const CONNECTION_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'ETLS', 'EAUTH']);

export function classifySendError(error: unknown): SendFailure {
  const failure = error as Partial<NodemailerError> & { code?: string };
  const reason = (failure.response ?? failure.message ?? String(error)).replace(/\s+/g, ' ').slice(0, 500);
  const reply = failure.responseCode;
  if (!reply) {
    const kind = failure.code && CONNECTION_CODES.has(failure.code) ? 'relay' : 'transient';
    return { kind, reason };
  }
  const enhanced = /^\d{3}[ -](\d\.\d{1,3}\.\d{1,3})\b/.exec(failure.response ?? '')?.[1];
  if (reply === 421 || enhanced?.startsWith('4.7.')) return { kind: 'throttled', reason };
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
