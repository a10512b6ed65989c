import net from 'node:net';
import tls from 'node:tls';
import type { SmtpEndpoint } from './smtp-options.ts';

/**
 * Where a send failed, in the codes Nodemailer uses (so `classifySendError` reads either):
 * `EENVELOPE` and `EMESSAGE` are refusals of this message (at MAIL FROM / RCPT TO, at DATA);
 * the rest are about the relay or the connection.
 */
export type SmtpErrorCode =
  | 'ECONNECTION'
  | 'ETIMEDOUT'
  | 'EPROTOCOL'
  | 'ETLS'
  | 'EAUTH'
  | 'EENVELOPE'
  | 'EMESSAGE';

export class SmtpError extends Error {
  readonly code: SmtpErrorCode;
  /** The server's reply, when there was one. */
  readonly response?: string;
  readonly responseCode?: number;
  /** The command that got the reply. */
  readonly command?: string;

  constructor(code: SmtpErrorCode, message: string, reply?: Reply, command?: string) {
    super(reply ? `${message}: ${reply.text}` : message);
    this.name = 'SmtpError';
    this.code = code;
    if (reply) {
      this.response = reply.text;
      this.responseCode = reply.code;
    }
    if (command) this.command = command;
  }
}

interface Reply {
  code: number;
  /** All lines, as received, joined by newlines. */
  text: string;
}

interface Waiter {
  /** What the reply answers (a 421 names it). */
  command: string;
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

const CRLF = Buffer.from('\r\n');
/** The name the reply to the end of the message goes by (it answers no command). */
export const END_OF_DATA_COMMAND = 'end of data';
const END_OF_DATA = Buffer.from('.\r\n');

/** One message for one recipient. */
export interface Transaction {
  from: string;
  to: string;
  /** The message's pieces in order, lines ending in CRLF, dots already stuffed. */
  data: readonly Buffer[];
  /** An address needs SMTPUTF8 (RFC 6531). */
  smtpUtf8: boolean;
  /** Settles once the sender has recorded this message's outcome (see OutgoingMessage). */
  recorded?: Promise<unknown> | undefined;
  /** Aborted: the message must not be accepted any more (see OutgoingMessage). */
  signal?: AbortSignal | undefined;
  /**
   * Settles once a message that must be on record before this one is (that of the session this
   * one was first tried on, when it is sent again on another).
   */
  after?: Promise<unknown> | undefined;
}

/**
 * One SMTP session to the relay, for many messages one after the other. Each transaction is three
 * writes: the envelope and DATA pipelined in one (RFC 2920, when offered), the message, then the
 * end-of-data line, which carries the next message's envelope with it: two writes and one round
 * trip a message in full flow. The end of the next message waits until the previous one's
 * outcome is recorded (`Transaction.recorded`). A connection that errs is closed and never used
 * again.
 */
export class SmtpConnection {
  private socket: net.Socket;
  private readonly endpoint: SmtpEndpoint;
  private extensions = new Set<string>();
  private authMechanisms = new Set<string>();
  /** A reply line not yet ended, and the lines of a multi-line reply not yet ended. */
  private partial = '';
  private readonly lines: string[] = [];
  /** When the first byte of the reply being read arrived (performance.now()). */
  private replyStartedAt = 0;
  private readonly waiters: Waiter[] = [];
  private failure: SmtpError | undefined;
  private readonly closeListeners = new Set<(error: SmtpError) => void>();
  /** Resolves when the session ends: a wait for the ledger then ends with it. */
  private readonly ended = Promise.withResolvers<void>();
  /** Settles once the sender recorded what became of the last message this session wrote. */
  private previousRecorded: Promise<unknown> = Promise.resolve();

  private constructor(socket: net.Socket, endpoint: SmtpEndpoint) {
    this.socket = socket;
    this.endpoint = endpoint;
    this.attach(socket);
  }

  /** Connects, reads the greeting, says EHLO, upgrades to TLS and logs in as the endpoint says. */
  static async open(endpoint: SmtpEndpoint): Promise<SmtpConnection> {
    const socket = await connect(endpoint);
    const connection = new SmtpConnection(socket, endpoint);
    try {
      await connection.setUp();
    } catch (error) {
      connection.destroy(asSmtpError(error, 'ECONNECTION'));
      throw connection.failure;
    }
    // A reply that arrived with the last one of the set-up may have ended the session already.
    connection.assertUsable();
    connection.socket.setTimeout(endpoint.socketTimeoutMs);
    return connection;
  }

  /** False once the session has ended, for whatever reason. */
  get usable(): boolean {
    return !this.failure;
  }

  /** Settles once the last message this session ended is on record. */
  get lastRecorded(): Promise<unknown> {
    return this.previousRecorded;
  }

  /** Called once, when the session ends (closed by either side or failed). */
  onClose(listener: (error: SmtpError) => void): void {
    if (this.failure) listener(this.failure);
    else this.closeListeners.add(listener);
  }

  /**
   * Sends one message and resolves with the relay's acceptance. A refusal rejects with
   * `EENVELOPE` or `EMESSAGE` and leaves the session ready for the next message; anything else
   * ends the session. `onDataWritten` is called once the message is on its way (a failure before
   * that cannot have delivered it), saying whether the next message's envelope may follow now.
   */
  async send(
    { from, to, data, smtpUtf8, recorded, signal, after }: Transaction,
    onDataWritten: (mayPipelineNext: boolean) => void,
  ): Promise<string> {
    this.assertUsable();
    const mailFrom = `MAIL FROM:<${from}>${smtpUtf8 ? ' SMTPUTF8' : ''}`;
    if (smtpUtf8 && !this.extensions.has('SMTPUTF8')) {
      throw new SmtpError('EENVELOPE', 'the relay does not take internationalised addresses (no SMTPUTF8)');
    }
    const commands: [name: string, line: string][] = [
      ['MAIL FROM', mailFrom],
      ['RCPT TO', `RCPT TO:<${to}>`],
      ['DATA', 'DATA'],
    ];
    const pipelining = this.extensions.has('PIPELINING');
    const replies = pipelining ? await this.pipelined(commands) : await this.oneByOne(commands);
    const [mail, rcpt, dataReply] = replies;
    const refused =
      refusal(mail, 'MAIL FROM', 250, 'EENVELOPE') ??
      refusal(rcpt, 'RCPT TO', 250, 'EENVELOPE') ??
      refusal(dataReply, 'DATA', 354, 'EMESSAGE');
    if (refused) {
      // The data was never sent: end the transaction so the session can carry the next message.
      // A relay that said 354 all the same would take an empty message: that session ends.
      if (dataReply?.code === 354)
        this.destroy(new SmtpError('EPROTOCOL', 'DATA accepted in a refused transaction'));
      else await this.reset();
      throw refused;
    }
    // The content goes out at once; only its end, with which the relay accepts the message,
    // waits until the previous message's outcome is on record. That wait then overlaps the
    // transfer, and a session lost during it has delivered nothing. The reply to the end is
    // awaited from now: a relay may refuse the content before it ends.
    const accepted = this.nextReply(END_OF_DATA_COMMAND);
    let early: Reply | undefined;
    accepted.then(
      (reply) => {
        early ??= reply;
      },
      () => undefined,
    );
    this.write(endsWithLineBreak(data) ? data : [...data, CRLF]);
    const waits = [this.previousRecorded, after].map((wait) => wait?.catch(() => undefined));
    await Promise.race([Promise.all(waits), this.ended.promise]);
    if (early) {
      // Answered before its end: the message cannot go on, nor can the session.
      this.destroy(new SmtpError('EPROTOCOL', 'the relay answered before the end of the message', early));
      if (early.code >= 400) throw new SmtpError('EMESSAGE', 'message refused', early, END_OF_DATA_COMMAND);
    }
    this.assertUsable();
    if (signal?.aborted) {
      // Mid-message there is no taking it back but to hang up: the relay then discards it.
      this.destroy(new SmtpError('ECONNECTION', 'a message was cancelled before its end'));
      throw signal.reason;
    }
    this.previousRecorded = recorded ?? Promise.resolve();
    // The next message's envelope, when onDataWritten hands one on, leaves in the same write as
    // this end: one system call and one segment fewer a message, for both sides.
    this.socket.cork();
    try {
      this.write([END_OF_DATA]);
      onDataWritten(pipelining);
    } finally {
      this.socket.uncork();
    }
    const reply = await accepted;
    if (reply.code !== 250) throw new SmtpError('EMESSAGE', 'message refused', reply, END_OF_DATA_COMMAND);
    return reply.text;
  }

  /** Ends the session politely. */
  async quit(): Promise<void> {
    if (!this.usable) return;
    await this.command('QUIT').catch(() => undefined);
    this.destroy(new SmtpError('ECONNECTION', 'connection closed'));
  }

  destroy(error: SmtpError): void {
    if (this.failure) return;
    this.failure = error;
    this.socket.destroy();
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    for (const listener of this.closeListeners) listener(error);
    this.ended.resolve();
  }

  private async setUp(): Promise<void> {
    const greeting = await this.nextReply('greeting');
    if (greeting.code !== 220) throw new SmtpError('EPROTOCOL', 'the relay refused the connection', greeting);
    await this.hello();
    const offered = this.extensions.has('STARTTLS');
    if (
      !this.endpoint.secure &&
      this.endpoint.startTls !== 'never' &&
      (offered || this.endpoint.startTls === 'required')
    ) {
      if (!offered)
        throw new SmtpError('ETLS', 'the relay does not offer STARTTLS, which requireTLS asks for');
      const reply = await this.command('STARTTLS');
      if (reply.code !== 220) throw new SmtpError('ETLS', 'STARTTLS refused', reply, 'STARTTLS');
      await this.upgrade();
      await this.hello();
    }
    if (this.endpoint.auth) await this.logIn(this.endpoint.auth);
  }

  private async hello(): Promise<void> {
    let reply = await this.command(`EHLO ${this.endpoint.clientName}`);
    if (reply.code !== 250) {
      reply = await this.command(`HELO ${this.endpoint.clientName}`);
      if (reply.code !== 250)
        throw new SmtpError('EPROTOCOL', 'the relay refused our greeting', reply, 'HELO');
    }
    const lines = reply.text.split('\n').slice(1);
    this.extensions = new Set(lines.map((line) => line.slice(4).split(' ')[0]?.toUpperCase() ?? ''));
    const auth = lines.find((line) => /^AUTH[ =]/i.test(line.slice(4)));
    this.authMechanisms = new Set(auth?.slice(9).toUpperCase().split(/\s+/) ?? []);
  }

  /** AUTH PLAIN, or LOGIN when that is all the relay offers. */
  private async logIn({ user, pass }: { user: string; pass: string }): Promise<void> {
    const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
    let reply: Reply;
    if (this.authMechanisms.has('LOGIN') && !this.authMechanisms.has('PLAIN')) {
      reply = await this.command('AUTH LOGIN');
      if (reply.code === 334) reply = await this.command(base64(user), 'AUTH');
      if (reply.code === 334) reply = await this.command(base64(pass), 'AUTH');
    } else {
      reply = await this.command(`AUTH PLAIN ${base64(`\0${user}\0${pass}`)}`);
    }
    if (reply.code !== 235) throw new SmtpError('EAUTH', 'login refused', reply, 'AUTH');
  }

  private async upgrade(): Promise<void> {
    // Anything sent after the 220 and before TLS is a man in the middle's (RFC 3207 6).
    if (this.partial || this.lines.length > 0)
      throw new SmtpError('ETLS', 'plain text after the STARTTLS reply');
    const plain = this.socket;
    // TLS takes the socket over: what it reads now is ciphertext, and its end is the TLS socket's.
    for (const event of ['data', 'error', 'close', 'timeout']) plain.removeAllListeners(event);
    plain.setTimeout(0);
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const socket = tls.connect({ ...this.endpoint.tls, socket: plain }, () => resolve(socket));
      socket.once('error', (error) => reject(new SmtpError('ETLS', `TLS failed: ${error.message}`)));
      socket.setTimeout(this.endpoint.connectionTimeoutMs, () => {
        socket.destroy();
        reject(new SmtpError('ETIMEDOUT', 'the relay did not complete the TLS handshake'));
      });
    });
    this.socket = secure;
    this.attach(secure);
  }

  /** Writes commands as one batch and reads their replies in order. */
  private async pipelined(commands: [name: string, line: string][]): Promise<Reply[]> {
    const replies = commands.map(([name]) => this.nextReply(name));
    this.write([`${commands.map(([, line]) => line).join('\r\n')}\r\n`]);
    return Promise.all(replies);
  }

  /** Without PIPELINING: each command waits for its reply, and stops at the first refusal. */
  private async oneByOne(commands: [name: string, line: string][]): Promise<Reply[]> {
    const replies: Reply[] = [];
    for (const [index, [name, line]] of commands.entries()) {
      const reply = await this.command(line, name);
      replies.push(reply);
      if (reply.code >= 400 || (index === commands.length - 1 && reply.code !== 354)) break;
    }
    return replies;
  }

  private async reset(): Promise<void> {
    const reply = await this.command('RSET').catch(() => undefined);
    if (reply?.code !== 250) this.destroy(new SmtpError('EPROTOCOL', 'RSET failed', reply));
  }

  /**
   * Writes a command line and waits for the reply; `name` is what a failure reports as the
   * command (the line's first word unless given).
   */
  private command(line: string, name = line.split(' ')[0] ?? line): Promise<Reply> {
    this.assertUsable();
    const reply = this.nextReply(name);
    this.write([`${line}\r\n`]);
    return reply;
  }

  /** One write to the kernel however many pieces. */
  private write(chunks: readonly (string | Buffer)[]): void {
    this.socket.cork();
    for (const chunk of chunks) this.socket.write(chunk);
    this.socket.uncork();
  }

  private nextReply(command: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.failure) reject(this.failure);
      else this.waiters.push({ command, resolve, reject });
    });
  }

  private assertUsable(): void {
    if (this.failure) throw this.failure;
  }

  private attach(socket: net.Socket): void {
    // Setting the session up must not take longer than connecting may.
    socket.setTimeout(this.endpoint.connectionTimeoutMs);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', (error) =>
      this.destroy(new SmtpError('ECONNECTION', `connection failed: ${error.message}`)),
    );
    socket.on('close', () => this.destroy(new SmtpError('ECONNECTION', 'the relay closed the connection')));
    socket.on('timeout', () => this.destroy(new SmtpError('ETIMEDOUT', 'the relay stopped answering')));
  }

  /**
   * Splits what arrives into replies (a multi-line reply ends at its `NNN ` line). A reply must
   * arrive whole within the socket's idle time limit of its first byte: a relay trickling it a
   * byte at a time would otherwise hold the session for ever, each byte resetting that limit.
   */
  private read(chunk: Buffer): void {
    const now = performance.now();
    if (this.partial === '' && this.lines.length === 0) this.replyStartedAt = now;
    this.partial += chunk.toString('latin1');
    let start = 0;
    for (let end = this.partial.indexOf('\n'); end !== -1; end = this.partial.indexOf('\n', start)) {
      const line = this.partial.slice(start, end).replace(/\r$/, '');
      start = end + 1;
      if (!/^\d{3}(?:[ -]|$)/.test(line)) {
        this.destroy(new SmtpError('EPROTOCOL', `not an SMTP reply: ${line.slice(0, 200)}`));
        return;
      }
      this.lines.push(line);
      if (line[3] !== '-') {
        this.deliver({ code: Number(line.slice(0, 3)), text: this.lines.splice(0).join('\n') });
        this.replyStartedAt = now;
      }
    }
    this.partial = this.partial.slice(start);
    if (this.partial.length + this.lines.length * 80 > 64 * 1024) {
      this.destroy(new SmtpError('EPROTOCOL', 'reply too long'));
    } else if (
      (this.partial !== '' || this.lines.length > 0) &&
      now - this.replyStartedAt > (this.socket.timeout || this.endpoint.socketTimeoutMs)
    ) {
      this.destroy(new SmtpError('ETIMEDOUT', 'the relay is taking too long to finish its reply'));
    }
  }

  /**
   * Hands the reply to the command waiting for it. A 421 means the relay is hanging up: the
   * session ends, and the commands pipelined after this one fail with that reply.
   */
  private deliver(reply: Reply): void {
    const waiter = this.waiters.shift();
    if (reply.code === 421) {
      this.destroy(
        new SmtpError('ECONNECTION', 'the relay is closing the connection', reply, waiter?.command),
      );
      waiter?.reject(this.failure as SmtpError);
    } else if (waiter) waiter.resolve(reply);
    // A reply nobody asked for: the relay is confused; nothing it says can be trusted now.
    else this.destroy(new SmtpError('EPROTOCOL', 'unexpected reply from the relay', reply));
  }
}

function endsWithLineBreak(data: readonly Buffer[]): boolean {
  const last = data.at(-1) ?? Buffer.alloc(0);
  const before = last.length >= 2 ? last[last.length - 2] : data.at(-2)?.at(-1);
  return before === 0x0d && last.at(-1) === 0x0a;
}

function refusal(
  reply: Reply | undefined,
  command: string,
  expected: number,
  code: SmtpErrorCode,
): SmtpError | undefined {
  if (!reply) return undefined;
  if (reply.code === expected || (command === 'RCPT TO' && reply.code === 251)) return undefined;
  return new SmtpError(code, `${command} refused`, reply, command);
}

function connect(endpoint: SmtpEndpoint): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const options = { host: endpoint.host, port: endpoint.port };
    const socket = endpoint.secure ? tls.connect({ ...endpoint.tls, ...options }) : net.connect(options);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new SmtpError(
          'ETIMEDOUT',
          `no connection to ${endpoint.host}:${endpoint.port} within ${endpoint.connectionTimeoutMs} ms`,
        ),
      );
    }, endpoint.connectionTimeoutMs);
    socket.once(endpoint.secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(
        new SmtpError('ECONNECTION', `cannot connect to ${endpoint.host}:${endpoint.port}: ${error.message}`),
      );
    });
  });
}

function asSmtpError(error: unknown, code: SmtpErrorCode): SmtpError {
  return error instanceof SmtpError ? error : new SmtpError(code, (error as Error).message);
}
