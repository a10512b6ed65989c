import { describe, expect, it } from 'vitest';
import { DeliveryLease } from './lease.ts';

describe('DeliveryLease', () => {
  it('holds from the claim, and is lost for good once a renewal finds nothing held', async () => {
    let held = 1;
    const lease = new DeliveryLease(40, async () => held);
    expect(lease.valid).toBe(false);
    lease.claimed(Date.now());
    expect(lease.valid).toBe(true);
    held = 0;
    await new Promise((resolve) => setTimeout(resolve, 15));
    expect(lease.valid).toBe(false);
    expect(lease.lost.reason.message).toMatch(/holds no delivery/);
    held = 1;
    await new Promise((resolve) => setTimeout(resolve, 15));
    expect(lease.valid).toBe(false);
    lease.stop();
  });

  it('never takes back a lease that ran out while renewals failed', async () => {
    let reachable = false;
    const lease = new DeliveryLease(40, async () => {
      if (!reachable) throw new Error('Postgres away');
      return 1;
    });
    lease.claimed(Date.now());
    expect(lease.lost.aborted).toBe(false);
    // Lost the moment its time is up, not at the next renewal: what waits to be sent is dropped.
    await new Promise<void>((resolve) => lease.lost.addEventListener('abort', () => resolve()));
    expect(lease.valid).toBe(false);
    expect(lease.lost.reason.message).toMatch(/ran out/);
    reachable = true;
    await new Promise((resolve) => setTimeout(resolve, 25));
    expect(lease.valid).toBe(false);
    lease.stop();
  });

  it('is lost the moment anyone looks once its time is up, even before its timer runs', () => {
    const lease = new DeliveryLease(40, async () => 1);
    lease.claimed(Date.now() - 40);
    expect(lease.valid).toBe(false);
    expect(lease.lost.aborted).toBe(true);
    lease.stop();
  });

  it('extends nothing once stopped, even by a renewal that was under way', async () => {
    const answer = Promise.withResolvers<number>();
    const lease = new DeliveryLease(40, () => answer.promise);
    lease.claimed(Date.now());
    // The first renewal is sent, then the run ends before Postgres answers.
    await new Promise((resolve) => setTimeout(resolve, 15));
    lease.stop();
    answer.resolve(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    // No timer was armed again: nothing of the run fires, nor keeps the process alive.
    expect(lease.lost.aborted).toBe(false);
  });
});
