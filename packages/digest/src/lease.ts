import { randomUUID } from 'node:crypto';

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
  /** Once lost, the lease is never valid again: another run may hold its rows by now. */
  private lost = false;
  private timer: NodeJS.Timeout | undefined;
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
    this.timer ??= setInterval(() => void this.renewNow(), this.leaseMs / 4);
  }

  /** Whether the run may still send: well inside the lease Postgres has on record. */
  get valid(): boolean {
    return !this.lost && Date.now() < this.validUntil;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async renewNow(): Promise<void> {
    // A lease that ran out is not taken back: its rows may be another run's now.
    if (!this.valid) {
      this.lost = true;
      return;
    }
    const startedAt = Date.now();
    try {
      const held = await this.renew(this.owner);
      // Nothing held any more: taken over, or the issue was paused or cancelled.
      if (held === 0) this.lost = true;
      else this.extend(startedAt);
    } catch {
      // Not renewed: `valid` turns false once the last lease is near its end.
    }
  }

  /** Postgres stamps the lease after `startedAt`; a sixth of it is kept as a margin. */
  private extend(startedAt: number): void {
    this.validUntil = startedAt + (this.leaseMs * 5) / 6;
  }
}
