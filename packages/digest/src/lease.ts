import { randomUUID } from 'node:crypto';

const RAN_OUT = 'the delivery lease ran out before it was renewed';

/**
 * A send run's hold on the deliveries it claimed. The lease is kept in Postgres (owner and
 * expiry); this side renews it every quarter of its length and knows, from its own clock, until
 * when it surely still holds: the run sends a message only before then. A run that cannot renew
 * (Postgres away, the process stalled) stops sending before its lease could lapse, so a run that
 * takes its rows over never sends beside it.
 */
export class DeliveryLease {
  readonly owner = randomUUID();
  private validUntil = 0;
  /** Aborted once the lease is lost, for good: another run may hold its rows by now. */
  private readonly loss = new AbortController();
  private renewal: NodeJS.Timeout | undefined;
  private expiry: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly leaseMs: number;
  private readonly renew: (owner: string) => Promise<number>;

  /** `renew` extends the lease in Postgres and returns how many deliveries it still holds. */
  constructor(leaseMs: number, renew: (owner: string) => Promise<number>) {
    this.leaseMs = leaseMs;
    this.renew = renew;
  }

  /** A claim that started at `startedAt` succeeded: the lease holds from then on. */
  claimed(startedAt: number): void {
    if (this.validUntil === 0) this.extend(startedAt);
    this.renewal ??= setInterval(() => void this.renewNow(), this.leaseMs / 4);
  }

  /**
   * Whether the run may still send: well inside the lease Postgres has on record. Its time up,
   * the lease is lost there and then, even if its timer has not yet run (a busy event loop).
   */
  get valid(): boolean {
    if (this.validUntil > 0 && Date.now() >= this.validUntil) this.lose(RAN_OUT);
    return !this.lost.aborted && Date.now() < this.validUntil;
  }

  /**
   * Aborted the moment the lease is lost (ran out unrenewed, taken over, or the issue paused or
   * cancelled): what the run still has waiting to go out must not go.
   */
  get lost(): AbortSignal {
    return this.loss.signal;
  }

  /** The run is over: no more renewals, and a renewal still under way extends nothing. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.renewal);
    clearTimeout(this.expiry);
  }

  private async renewNow(): Promise<void> {
    // A lease that ran out is not taken back (`valid` has lost it): its rows may be another run's.
    if (!this.valid) return;
    const startedAt = Date.now();
    try {
      const held = await this.renew(this.owner);
      if (this.stopped) return;
      if (held === 0) this.lose('the run holds no delivery any more: taken over, paused or cancelled');
      else this.extend(startedAt);
    } catch {
      // Not renewed: the lease is lost once the last one is near its end.
    }
  }

  /** Postgres stamps the lease after `startedAt`; a sixth of it is kept as a margin. */
  private extend(startedAt: number): void {
    this.validUntil = startedAt + (this.leaseMs * 5) / 6;
    clearTimeout(this.expiry);
    this.expiry = setTimeout(() => this.lose(RAN_OUT), this.validUntil - Date.now());
  }

  private lose(reason: string): void {
    this.stop();
    // Only the first loss counts: a later abort keeps the first reason.
    this.loss.abort(new Error(reason));
  }
}
