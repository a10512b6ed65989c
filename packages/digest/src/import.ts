import { type Db, upsertPapers } from '@digest/db';
import { normalisePapers, type RejectedRecord } from './paper-import.ts';

export interface ImportResult {
  received: number;
  inserted: number;
  updated: number;
  /** Records that shared their id with a later one of the same input, which was kept instead. */
  merged: number;
  rejected: RejectedRecord[];
}

const CHUNK = 500;

/**
 * Stores the usable records of a JSON array of papers (upsert by external id) and reports the
 * unusable ones. Chunks are written in one transaction: an import lands whole or not at all.
 */
export async function importPapers(
  db: Db,
  input: unknown,
  options: { timeZone: string; onProgress?: (done: number, total: number) => void },
): Promise<ImportResult> {
  const { papers, rejected } = normalisePapers(input, options.timeZone);
  const counts = await db.transaction().execute(async (trx) => {
    const totals = { inserted: 0, updated: 0 };
    for (let start = 0; start < papers.length; start += CHUNK) {
      const chunk = await upsertPapers(trx, papers.slice(start, start + CHUNK));
      totals.inserted += chunk.inserted;
      totals.updated += chunk.updated;
      options.onProgress?.(Math.min(start + CHUNK, papers.length), papers.length);
    }
    return totals;
  });
  const received = (input as unknown[]).length;
  return { received, ...counts, merged: received - rejected.length - papers.length, rejected };
}
