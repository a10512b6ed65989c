import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface CapturedMail {
  envelopeTo: string[];
  raw: string;
  parsed: ParsedMail;
  /** Exact header lines as sent (mailparser folds List-* headers together in `parsed.headers`). */
  header(name: string): string | undefined;
}

export interface TestSmtpServer {
  url: string;
  port: number;
  messages: CapturedMail[];
  /** Replies with `reply` (e.g. `450 try later` or `550 no such user`) to RCPT TO of matching addresses. */
  rejectRecipient(match: (address: string) => boolean, code: number, message: string): void;
  /** Resolves once `count` messages have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<CapturedMail[]>;
  /**
   * Resolves once no client is connected and every message received is kept: after a sender
   * died, everything it got accepted is then in `messages`.
   */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on a free local port that keeps every message it accepts, after
 * `acceptDelayMs` (a slow relay, to catch a sender mid-batch).
 */
export async function startTestSmtpServer(
  options: Partial<SMTPServerOptions> = {},
  { acceptDelayMs = 0 } = {},
): Promise<TestSmtpServer> {
  const messages: CapturedMail[] = [];
  const rejections: { match: (address: string) => boolean; code: number; message: string }[] = [];
  let waiters: { count: number; resolve: () => void }[] = [];
  let sessions = 0;
  let receiving = 0;
  let idleWaiters: (() => void)[] = [];
  const notifyIfIdle = () => {
    if (sessions > 0 || receiving > 0) return;
    for (const resolve of idleWaiters) resolve();
    idleWaiters = [];
  };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 10 * 1024 * 1024,
    onConnect(_session, callback) {
      sessions++;
      callback();
    },
    onClose() {
      sessions--;
      notifyIfIdle();
    },
    onRcptTo(address, _session, callback) {
      const rejection = rejections.find((candidate) => candidate.match(address.address));
      if (!rejection) return callback();
      const error = Object.assign(new Error(rejection.message), { responseCode: rejection.code });
      callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        // Received in full: kept even if the client is gone by the time the reply is due.
        receiving++;
        if (acceptDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, acceptDelayMs));
        const raw = Buffer.concat(chunks).toString('utf8');
        const parsed = await simpleParser(raw);
        messages.push({
          envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw,
          parsed,
          header(name) {
            const line = parsed.headerLines.find((candidate) => candidate.key === name.toLowerCase())?.line;
            return line
              ?.slice(line.indexOf(':') + 1)
              .replace(/\r?\n[ \t]+/g, ' ')
              .trim();
          },
        });
        waiters = waiters.filter((waiter) => {
          if (messages.length < waiter.count) return true;
          waiter.resolve();
          return false;
        });
        receiving--;
        notifyIfIdle();
        callback();
      });
    },
    ...options,
  });

  // A client that dies mid-session (a killed worker) resets its connection: expected, not a failure.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    rejectRecipient(match, code, message) {
      rejections.push({ match, code, message });
    },
    async waitFor(count, timeoutMs = 15_000) {
      if (messages.length < count) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () =>
              reject(new Error(`expected ${count} messages, got ${messages.length} within ${timeoutMs} ms`)),
            timeoutMs,
          );
          waiters.push({
            count,
            resolve: () => {
              clearTimeout(timer);
              resolve();
            },
          });
        });
      }
      return messages;
    },
    async idle(timeoutMs = 10_000) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`after ${timeoutMs} ms, ${sessions} clients and ${receiving} messages in progress`),
            ),
          timeoutMs,
        );
        idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
        notifyIfIdle();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
