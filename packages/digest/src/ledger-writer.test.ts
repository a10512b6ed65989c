import type { DeliveryResult } from '@digest/db';
import { describe, expect, it } from 'vitest';
import { LEDGER_FLUSH_DELAY_MS, LedgerWriter } from './ledger-writer.ts';

const sent = (id: number): DeliveryResult => ({ id, outcome: 'sent' });
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LedgerWriter', () => {
  it('writes a full buffer at once and a partial one shortly after', async () => {
    const writes: number[][] = [];
    const ledger = new LedgerWriter(async (results) => {
      writes.push(results.map((result) => result.id));
    }, 3);
    for (const id of [1, 2, 3, 4]) ledger.add(sent(id));
    await settle(0);
    expect(writes).toEqual([[1, 2, 3]]);
    await settle(LEDGER_FLUSH_DELAY_MS * 2);
    expect(writes).toEqual([[1, 2, 3], [4]]);
    await ledger.flush();
    expect(writes).toHaveLength(2);
  });

  it('retries a failed write until it goes through, unhealthy meanwhile', async () => {
    let failures = 2;
    const writes: number[][] = [];
    const ledger = new LedgerWriter(async (results) => {
      if (failures-- > 0) throw new Error('database went away');
      writes.push(results.map((result) => result.id));
    }, 1);
    ledger.add(sent(1));
    await settle(10);
    expect(ledger.healthy).toBe(false);
    await ledger.whenHealthy();
    expect(ledger.healthy).toBe(true);
    await ledger.flush();
    expect(writes).toEqual([[1]]);
  });
});
