import { SmtpConnection, SmtpError, type Transaction } from './smtp-connection.ts';
import type { SmtpEndpoint } from './smtp-options.ts';

interface Queued extends Transaction {
  resolve(response: string): void;
  reject(error: Error): void;
  /** Sent once on a connection that turned out dead before it took the message. */
  retried: boolean;
}

/** An idle session is closed after this long: the relay would drop it anyway. */
const IDLE_MS = 30_000;

/**
 * Up to `size` SMTP sessions to one relay, each with at most one message written and not yet
 * answered (the duplicate window a broken session leaves): messages wait in line for the next
 * session free to take one. A session that fails is dropped and replaced when needed.
 */
export class SmtpPool {
  private readonly idle: { connection: SmtpConnection; timer: NodeJS.Timeout }[] = [];
  private readonly queue: Queued[] = [];
  private live = 0;
  /** Signals the pool listens to: each drops what it cancels from the line the moment it aborts. */
  private readonly watched = new WeakSet<AbortSignal>();
  private closed = false;
  private readonly endpoint: SmtpEndpoint;
  private readonly size: number;

  constructor(endpoint: SmtpEndpoint, size: number) {
    this.endpoint = endpoint;
    this.size = size;
  }

  send(transaction: Transaction): Promise<string> {
    if (this.closed) return Promise.reject(new SmtpError('ECONNECTION', 'the transport is closed'));
    const { signal } = transaction;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (signal && !this.watched.has(signal)) {
      this.watched.add(signal);
      signal.addEventListener('abort', () => this.dropCancelled(), { once: true });
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ ...transaction, resolve, reject, retried: false });
      this.dispatch();
    });
  }

  /**
   * Opens every session now, ahead of sending, so that connecting (and a relay that takes its
   * time to greet) overlaps other work. A relay that is away is noticed by the next send.
   */
  connect(): void {
    while (!this.closed && this.live < this.size) void this.openSession();
  }

  /** Quits idle sessions; those in use quit after their message. */
  close(): void {
    this.closed = true;
    for (const { connection, timer } of this.idle.splice(0)) {
      clearTimeout(timer);
      void connection.quit();
    }
    for (const waiting of this.queue.splice(0)) {
      waiting.reject(new SmtpError('ECONNECTION', 'the transport is closed'));
    }
  }

  /** Rejects the messages in line whose signal aborted: the line never holds one. */
  private dropCancelled(): void {
    for (const waiting of this.queue.splice(0)) {
      if (waiting.signal?.aborted) waiting.reject(waiting.signal.reason);
      else this.queue.push(waiting);
    }
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const session = this.idle.pop();
      if (session) {
        clearTimeout(session.timer);
        void this.carry(session.connection, this.queue.shift() as Queued, true);
      } else if (this.live < this.size) {
        void this.openSession();
        return;
      } else return;
    }
  }

  private async openSession(): Promise<void> {
    this.live++;
    let connection: SmtpConnection;
    try {
      connection = await SmtpConnection.open(this.endpoint);
    } catch (error) {
      this.live--;
      // No session at all: the relay is away, and every message waiting learns so now. With
      // other sessions still up, the messages wait for those.
      if (this.live === 0) for (const waiting of this.queue.splice(0)) waiting.reject(error as Error);
      return;
    }
    connection.onClose(() => {
      this.live--;
      this.forget(connection);
    });
    if (this.closed) {
      void connection.quit();
      return;
    }
    const next = this.queue.shift();
    if (next) void this.carry(connection, next, false);
    else this.release(connection);
    this.dispatch();
  }

  /**
   * Sends one message on `connection`, then gives the connection back (or drops it). Once the
   * message is written, the next one in line may go out on the same session before the reply.
   */
  private async carry(connection: SmtpConnection, message: Queued, reused: boolean): Promise<void> {
    let dataWritten = false;
    let handedOn = false;
    const onDataWritten = (mayPipelineNext: boolean) => {
      dataWritten = true;
      const next = mayPipelineNext && !this.closed ? this.queue.shift() : undefined;
      if (!next) return;
      handedOn = true;
      void this.carry(connection, next, true);
    };
    try {
      message.resolve(await connection.send(message, onDataWritten));
    } catch (error) {
      const failure = error as SmtpError;
      // A session that sat idle, or carried the message before, may have been closed by the
      // relay meanwhile: this message never got to DATA, so it goes out on a fresh session (once).
      const retry = reused && !dataWritten && !message.retried && !message.signal?.aborted;
      if (!this.closed && retry && !isAboutMessage(failure)) {
        message.retried = true;
        // Ended on another session, it still must not be accepted before this one's last message
        // is on record: the window stays one message per connection of the pool.
        message.after = connection.lastRecorded;
        this.queue.unshift(message);
      } else message.reject(failure);
    }
    if (!handedOn) {
      if (connection.usable && !this.closed) this.release(connection);
      else if (connection.usable) void connection.quit();
    }
    this.dispatch();
  }

  private release(connection: SmtpConnection): void {
    const timer = setTimeout(() => {
      this.forget(connection);
      void connection.quit();
    }, IDLE_MS);
    timer.unref();
    this.idle.push({ connection, timer });
  }

  /** An idle session that ended (timed out, or closed by the relay) is no longer offered. */
  private forget(connection: SmtpConnection): void {
    const at = this.idle.findIndex((session) => session.connection === connection);
    if (at === -1) return;
    clearTimeout(this.idle[at]?.timer);
    this.idle.splice(at, 1);
  }
}

/** A refusal of this very message: the session is fine, and another would say the same. */
function isAboutMessage(error: SmtpError): boolean {
  return error.code === 'EENVELOPE' || error.code === 'EMESSAGE';
}
