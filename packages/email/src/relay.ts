import type { MailTransport } from './transport.ts';

/** How often a relay that stopped answering is tried again. */
export const RELAY_PROBE_MS = 30_000;

export interface RelayState {
  open: boolean;
  /** Why sending is paused, while it is. */
  reason?: string;
  /** When the next probe runs, while paused. */
  nextProbeAt?: Date;
}

/**
 * Whether the relay is reachable, as this process last saw it. A send that gets no reply at all
 * closes the gate: sending pauses without using up any delivery's attempts, and a probe every
 * RELAY_PROBE_MS (an SMTP connection and NOOP) reopens it; listeners then resume sending.
 */
export class RelayGate {
  private state: RelayState = { open: true };
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly listeners = new Set<() => void>();
  private readonly transport: Pick<MailTransport, 'verify'>;
  private readonly probeMs: number;
  private readonly log: (state: RelayState) => void;

  constructor(
    transport: Pick<MailTransport, 'verify'>,
    options: { probeMs?: number; log?: (state: RelayState) => void } = {},
  ) {
    this.transport = transport;
    this.probeMs = options.probeMs ?? RELAY_PROBE_MS;
    this.log = options.log ?? (() => {});
  }

  get open(): boolean {
    return this.state.open;
  }

  get status(): RelayState {
    return this.state;
  }

  /** Runs `listener` each time the relay comes back. */
  onReopen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A send got no reply: pause until a probe succeeds. */
  unreachable(reason: string): void {
    if (!this.state.open || this.closed) return;
    this.schedule(reason);
  }

  /** Stops probing (process shutdown). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private schedule(reason: string): void {
    this.state = { open: false, reason, nextProbeAt: new Date(Date.now() + this.probeMs) };
    this.log(this.state);
    this.timer = setTimeout(() => void this.probe(reason), this.probeMs);
    this.timer.unref();
  }

  private async probe(lastReason: string): Promise<void> {
    if (this.closed) return;
    try {
      await this.transport.verify();
    } catch (error) {
      this.schedule((error as Error).message || lastReason);
      return;
    }
    this.state = { open: true };
    this.log(this.state);
    for (const listener of this.listeners) listener();
  }
}
