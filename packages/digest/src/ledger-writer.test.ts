import type { DeliveryResult } from '@digest/db';
import { describe, expect, it } from 'vitest';
import { LedgerWriter } from './ledger-writer.ts';

const sent = (id: number): DeliveryResult => ({ id, outcome: 'sent' });
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LedgerWriter', () => {
  it('writes an outcome at once, and what arrives during a write right after it', async () => {
    const writes: number[][] = [];
    let release: () => void = () => {};
    const ledger = new LedgerWriter(async (results) => {
      writes.push(results.map((result) => result.id));
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    ledger.add(sent(1));
    expect(writes).toEqual([[1]]);
    for (const id of [2, 3, 4]) ledger.add(sent(id));
    // Nothing waits for a timer or a batch to fill: 2–4 go as soon as the first write returns.
    release();
    await settle(0);
    expect(writes).toEqual([[1], [2, 3, 4]]);
    release();
    await ledger.flush();
    expect(writes).toHaveLength(2);
  });

  it('retries a failed write until it goes through, unhealthy meanwhile, and tells of the first failure', async () => {
    let failures = 2;
    const writes: number[][] = [];
    const told: string[] = [];
    const ledger = new LedgerWriter(
      async (results) => {
        if (failures-- > 0) throw new Error('database went away');
        writes.push(results.map((result) => result.id));
      },
      (error) => told.push((error as Error).message),
    );
    ledger.add(sent(1));
    await settle(10);
    expect(ledger.healthy).toBe(false);
    await ledger.whenHealthy();
    expect(ledger.healthy).toBe(true);
    await ledger.flush();
    expect(writes).toEqual([[1]]);
    // Two failures in one spell: told once.
    expect(told).toEqual(['database went away']);
  });
});
