import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface CapturedMail {
  envelopeTo: string[];
  /** The whole message, or only its header block when the server keeps headers only. */
  raw: string;
  parsed: ParsedMail;
  /** Exact header lines as sent (mailparser folds List-* headers together in `parsed.headers`). */
  header(name: string): string | undefined;
}

export interface TestSmtpServer {
  url: string;
  port: number;
  /** Every message accepted (answered 250), in order. */
  messages: CapturedMail[];
  /** RCPT TO commands received per address, accepted or not. */
  recipientAttempts: Map<string, number>;
  /** Bytes of message content received per first envelope recipient, the message ended or not. */
  contentBytes: Map<string, number>;
  /** The most SMTP sessions open at once since the server started. */
  peakSessions(): number;
  /**
   * Replies `code message` (e.g. `451 4.3.0 try later`, `550 5.1.1 no such user`) to RCPT TO of
   * matching addresses: always, or with `once` only to each address's first attempt.
   */
  rejectRecipient(
    match: (address: string) => boolean,
    code: number,
    message: string,
    options?: { once?: boolean },
  ): void;
  /** Lifts every rejection: the mailboxes have recovered. */
  acceptAll(): void;
  /** From now on, waits this long before accepting each message (TestSmtpOptions.acceptDelayMs). */
  setAcceptDelay(ms: number): void;
  /** Accepted messages whose subject starts with `subjectStart`, counted by envelope recipient. */
  countByRecipient(subjectStart: string): Map<string, number>;
  /** Resolves once `count` messages have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<CapturedMail[]>;
  /**
   * Resolves once no client is connected and every message received is kept: after a sender
   * died, everything it got accepted is then in `messages`.
   */
  idle(timeoutMs?: number): Promise<void>;
  /**
   * A relay outage: the port refuses connections, open sessions get `421` on their next command
   * and are closed (a message already received in full is still answered and kept).
   */
  stop(): Promise<void>;
  /** Back on the same port after `stop`, with everything counted so far. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface TestSmtpOptions {
  /** Waits this long before accepting each message (a slow relay, to catch a sender mid-batch). */
  acceptDelayMs?: number;
  /** Parses only the header block of each message: thousands of messages stay cheap to count. */
  headersOnly?: boolean;
}

/** A real SMTP server on a free local port that keeps every message it accepts. */
export async function startTestSmtpServer(
  options: Partial<SMTPServerOptions> = {},
  { acceptDelayMs: initialDelayMs = 0, headersOnly = false }: TestSmtpOptions = {},
): Promise<TestSmtpServer> {
  let acceptDelayMs = initialDelayMs;
  const messages: CapturedMail[] = [];
  const recipientAttempts = new Map<string, number>();
  const contentBytes = new Map<string, number>();
  const rejections: {
    match: (address: string) => boolean;
    code: number;
    message: string;
    once: boolean;
    rejected: Set<string>;
  }[] = [];
  let waiters: { count: number; resolve: () => void }[] = [];
  let sessions = 0;
  let peak = 0;
  let receiving = 0;
  let idleWaiters: (() => void)[] = [];
  const notifyIfIdle = () => {
    if (sessions > 0 || receiving > 0) return;
    for (const resolve of idleWaiters) resolve();
    idleWaiters = [];
  };

  const keep = async (raw: string, envelopeTo: string[]) => {
    const parsed = await simpleParser(headersOnly ? raw.slice(0, raw.indexOf('\r\n\r\n') + 2) : raw);
    messages.push({
      envelopeTo,
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
  };

  const listen = async (port: number) => {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      size: 10 * 1024 * 1024,
      // On stop, sessions still open after this long are answered 421 and closed.
      closeTimeout: 1000,
      onConnect(_session, callback) {
        sessions++;
        peak = Math.max(peak, sessions);
        callback();
      },
      onClose() {
        sessions--;
        notifyIfIdle();
      },
      onRcptTo({ address }, _session, callback) {
        recipientAttempts.set(address, (recipientAttempts.get(address) ?? 0) + 1);
        const rejection = rejections.find(
          (candidate) => candidate.match(address) && !(candidate.once && candidate.rejected.has(address)),
        );
        if (!rejection) return callback();
        rejection.rejected.add(address);
        callback(Object.assign(new Error(rejection.message), { responseCode: rejection.code }));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        const to = session.envelope.rcptTo[0]?.address ?? '';
        stream.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          contentBytes.set(to, (contentBytes.get(to) ?? 0) + chunk.length);
        });
        stream.on('end', async () => {
          // Received in full: kept even if the client is gone by the time the reply is due.
          receiving++;
          if (acceptDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, acceptDelayMs));
          const raw = Buffer.concat(chunks).toString('utf8');
          await keep(
            raw,
            session.envelope.rcptTo.map((rcpt) => rcpt.address),
          );
          receiving--;
          notifyIfIdle();
          callback();
        });
      },
      ...options,
    });
    // A client that dies mid-session (a killed worker) resets its connection: expected, not a failure.
    server.on('error', () => {});
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return server;
  };

  let server: SMTPServer | undefined = await listen(0);
  const port = (server.server.address() as AddressInfo).port;
  const stop = async () => {
    const closing = server;
    server = undefined;
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    recipientAttempts,
    contentBytes,
    peakSessions: () => peak,
    rejectRecipient(match, code, message, { once = false } = {}) {
      rejections.push({ match, code, message, once, rejected: new Set() });
    },
    acceptAll() {
      rejections.length = 0;
    },
    setAcceptDelay(ms) {
      acceptDelayMs = ms;
    },
    countByRecipient(subjectStart) {
      const counts = new Map<string, number>();
      for (const mail of messages) {
        if (!mail.parsed.subject?.startsWith(subjectStart)) continue;
        for (const to of mail.envelopeTo) counts.set(to, (counts.get(to) ?? 0) + 1);
      }
      return counts;
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
    stop,
    async start() {
      if (!server) server = await listen(port);
    },
    close: stop,
  };
}
