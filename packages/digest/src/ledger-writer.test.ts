import type { DeliveryResult } from '@digest/db';
import { describe, expect, it } from 'vitest';
import { LEDGER_FLUSH_DELAY_MS, LedgerWriter } from './ledger-writer.ts';

const sent = (id: number): DeliveryResult => ({ id, status: 'sent' });
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

  it('surfaces a failed write on flush', async () => {
    const ledger = new LedgerWriter(async () => {
      throw new Error('database went away');
    });
    ledger.add(sent(1));
    await expect(ledger.flush()).rejects.toThrow('database went away');
  });
});
