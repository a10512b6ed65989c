import type { DeliveryResult } from '@digest/db';

/** Outcomes recorded per statement: bounds how many sent-but-unrecorded messages a crash can leave. */
export const LEDGER_FLUSH_SIZE = 25;
/** A partial buffer waits at most this long, so a slow or small batch is recorded promptly too. */
export const LEDGER_FLUSH_DELAY_MS = 50;
/** A failed write is tried again after this, doubling up to LEDGER_RETRY_MAX_MS. */
const LEDGER_RETRY_MS = 250;
const LEDGER_RETRY_MAX_MS = 5_000;
/** How long a write is retried before the run gives up on it (Postgres gone for good). */
const LEDGER_GIVE_UP_MS = 10 * 60_000;

/**
 * Buffers delivery outcomes and writes them in small batches, one write at a time, while sending
 * goes on. A write that fails (Postgres restarting) is retried until it succeeds; meanwhile the
 * writer is unhealthy, and the run must not send: `whenHealthy` resolves once writes go through
 * again, so unrecorded sends never pile up beyond one buffer.
 */
export class LedgerWriter {
  private buffer: DeliveryResult[] = [];
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;
  private timer: NodeJS.Timeout | undefined;
  private recovered: Promise<void> | undefined;
  private markRecovered: (() => void) | undefined;
  private readonly write: (results: DeliveryResult[]) => Promise<void>;
  private readonly flushSize: number;

  constructor(write: (results: DeliveryResult[]) => Promise<void>, flushSize = LEDGER_FLUSH_SIZE) {
    this.write = write;
    this.flushSize = flushSize;
  }

  /** False while a write is failing: sending must wait. */
  get healthy(): boolean {
    return this.recovered === undefined;
  }

  /** Resolves at once when healthy, else once a failing write finally succeeds (or is given up). */
  whenHealthy(): Promise<void> {
    return this.recovered ?? Promise.resolve();
  }

  add(result: DeliveryResult): void {
    this.buffer.push(result);
    if (this.buffer.length >= this.flushSize) this.startWrite();
    else this.timer ??= setTimeout(() => this.startWrite(), LEDGER_FLUSH_DELAY_MS);
  }

  /** Writes everything buffered; throws if a write was given up. */
  async flush(): Promise<void> {
    this.startWrite();
    await this.writing;
    if (this.failure) throw this.failure;
  }

  private startWrite(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.writing = this.writing.then(() => this.writeUntilDone(batch));
  }

  private async writeUntilDone(batch: DeliveryResult[]): Promise<void> {
    const giveUpAt = Date.now() + LEDGER_GIVE_UP_MS;
    for (let wait = LEDGER_RETRY_MS; !this.failure; wait = Math.min(wait * 2, LEDGER_RETRY_MAX_MS)) {
      try {
        await this.write(batch);
        this.setHealthy();
        return;
      } catch (error) {
        if (Date.now() > giveUpAt) this.failure = error;
        else {
          this.setUnhealthy();
          await new Promise((resolve) => setTimeout(resolve, wait));
        }
      }
    }
    this.setHealthy();
  }

  private setUnhealthy(): void {
    this.recovered ??= new Promise((resolve) => {
      this.markRecovered = resolve;
    });
  }

  private setHealthy(): void {
    this.markRecovered?.();
    this.recovered = undefined;
    this.markRecovered = undefined;
  }
}
