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
  /** Messages per second across this process's pool; unlimited when undefined. */
  rateLimit?: number;
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
    ...(options.rateLimit ? { rateLimit: options.rateLimit, rateDelta: 1000 } : {}),
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

export type SendFailure = { permanent: boolean; reason: string };

/**
 * RFC 5321: a 5xx reply rejects the message for good (except 503, a session-state error); 4xx
 * replies and failures without a reply (refused connection, timeout, dropped socket) may pass later.
 */
export function classifySendError(error: unknown): SendFailure {
  const failure = error as Partial<NodemailerError>;
  const reason = (failure.response ?? failure.message ?? String(error)).slice(0, 500);
  return { permanent: failure.permanent === true, reason };
}
