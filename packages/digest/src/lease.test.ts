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
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lease.valid).toBe(false);
    reachable = true;
    await new Promise((resolve) => setTimeout(resolve, 25));
    expect(lease.valid).toBe(false);
    lease.stop();
  });
});
