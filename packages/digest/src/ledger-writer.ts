import type { DeliveryResult } from '@digest/db';

/** Outcomes recorded per statement: bounds how many sent-but-unrecorded messages a crash can leave. */
export const LEDGER_FLUSH_SIZE = 25;
/** A partial buffer waits at most this long, so a slow or small batch is recorded promptly too. */
export const LEDGER_FLUSH_DELAY_MS = 50;

/**
 * Buffers delivery outcomes and writes them in small batches, one write at a time, while sending
 * goes on. `flush` writes the rest and surfaces any write error.
 */
export class LedgerWriter {
  private buffer: DeliveryResult[] = [];
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;
  private timer: NodeJS.Timeout | undefined;

  private readonly write: (results: DeliveryResult[]) => Promise<void>;
  private readonly flushSize: number;

  constructor(write: (results: DeliveryResult[]) => Promise<void>, flushSize = LEDGER_FLUSH_SIZE) {
    this.write = write;
    this.flushSize = flushSize;
  }

  add(result: DeliveryResult): void {
    this.buffer.push(result);
    if (this.buffer.length >= this.flushSize) this.startWrite();
    else this.timer ??= setTimeout(() => this.startWrite(), LEDGER_FLUSH_DELAY_MS);
  }

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
    this.writing = this.writing.then(() =>
      this.write(batch).catch((error: unknown) => {
        this.failure ??= error;
      }),
    );
  }
}
