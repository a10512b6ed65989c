import { groupCommit } from '@digest/core';
import type { DeliveryResult } from '@digest/db';

/**
 * Outcomes per statement at most: bounds the statement, not the wait. Sent outcomes come about
 * one per SMTP session a write; larger batches (deferred or unmatched readers, which wait for no
 * session) go in several. Its plan, made once, joins the batch by a nested loop: 50 ids cost
 * 2,500 comparisons, 500 would cost 250,000 (50 ms a write).
 */
const LEDGER_BATCH_MAX = 50;
/** A failed write is tried again after this, doubling up to LEDGER_RETRY_MAX_MS. */
const LEDGER_RETRY_MS = 250;
const LEDGER_RETRY_MAX_MS = 5_000;
/** How long a write is retried before the run gives up on it (Postgres gone for good). */
const LEDGER_GIVE_UP_MS = 10 * 60_000;

/**
 * Records delivery outcomes as soon as it can, while sending goes on: an outcome is written at
 * once when no write is in flight, else with every outcome that arrived meanwhile, as soon as
 * that write returns (group commit). `add` says when its outcome's write has returned: the SMTP
 * session that carried the message writes no other message until then, so what a crash can leave
 * sent but unrecorded is at most one message per SMTP connection, however fast the sending.
 *
 * A write that fails (Postgres restarting) is retried until it succeeds; meanwhile the writer is
 * unhealthy and the run must not send: `whenHealthy` resolves once writes go through again, so
 * unrecorded sends never pile up.
 */
export class LedgerWriter {
  /** Aborted, with the write's error, once a write is given up. */
  private readonly giveUp = new AbortController();
  private recovered: Promise<void> | undefined;
  private markRecovered: (() => void) | undefined;
  private readonly write: (results: DeliveryResult[]) => Promise<void>;
  /** Told of the first failed write of each spell of failures. */
  private readonly failing: (error: unknown) => void;
  private readonly enqueue: (result: DeliveryResult) => Promise<void>;
  /** Outcomes added and not yet written. */
  private readonly unwritten = new Set<Promise<void>>();

  constructor(
    write: (results: DeliveryResult[]) => Promise<void>,
    failing: (error: unknown) => void = () => {},
  ) {
    this.write = write;
    this.failing = failing;
    this.enqueue = groupCommit(async (batch: DeliveryResult[]) => {
      await this.writeUntilDone(batch);
      return batch.map(() => undefined);
    }, LEDGER_BATCH_MAX);
  }

  /** True once a write was given up: the run must stop sending, nothing more gets recorded. */
  get failed(): boolean {
    return this.gaveUp.aborted;
  }

  /**
   * Aborted once a write is given up, before the outcomes it carried resolve: no SMTP session
   * may end another message then (OutgoingMessage.signal).
   */
  get gaveUp(): AbortSignal {
    return this.giveUp.signal;
  }

  /** False while a write is failing: sending must wait. */
  get healthy(): boolean {
    return this.recovered === undefined;
  }

  /** Resolves at once when healthy, else once a failing write finally succeeds (or is given up). */
  whenHealthy(): Promise<void> {
    return this.recovered ?? Promise.resolve();
  }

  /** Queues `result`; resolves once the write carrying it has returned (recorded, or given up). */
  add(result: DeliveryResult): Promise<void> {
    const written = this.enqueue(result);
    this.unwritten.add(written);
    void written.finally(() => this.unwritten.delete(written));
    return written;
  }

  /** Writes everything added so far; throws if a write was given up. */
  async flush(): Promise<void> {
    while (this.unwritten.size > 0) await Promise.all(this.unwritten);
    if (this.failed) throw this.gaveUp.reason;
  }

  private async writeUntilDone(batch: DeliveryResult[]): Promise<void> {
    const giveUpAt = Date.now() + LEDGER_GIVE_UP_MS;
    for (let wait = LEDGER_RETRY_MS; !this.failed; wait = Math.min(wait * 2, LEDGER_RETRY_MAX_MS)) {
      try {
        await this.write(batch);
        break;
      } catch (error) {
        if (Date.now() > giveUpAt) this.giveUp.abort(error);
        else {
          if (this.healthy) this.failing(error);
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
