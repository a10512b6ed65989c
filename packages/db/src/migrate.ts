import type { Kysely } from 'kysely';
import { type Migration, type MigrationResultSet, Migrator } from 'kysely/migration';
import * as initial from './migrations/2026-11-25T00-00_initial.ts';
import * as issueSlotNonce from './migrations/2026-12-01T22-40_issue-slot-nonce.ts';
import * as subscriberTimezone from './migrations/2026-12-01T23-10_subscriber-timezone.ts';
import * as subscriberEmailPrefixIndex from './migrations/2026-12-01T23-30_subscriber-email-prefix-index.ts';
import * as deliveryEngine from './migrations/2026-12-01T23-45_delivery-engine.ts';
import * as topWhenNoMatch from './migrations/2026-12-02T00-15_top-when-no-match.ts';
import * as deliveriesByMonth from './migrations/2026-12-02T03-30_deliveries-by-month.ts';
import * as issueNumber from './migrations/2026-12-03T11-30_issue-number.ts';
import * as adminSessionRevocations from './migrations/2026-12-04T22-00_admin-session-revocations.ts';
import * as issueSettledCounts from './migrations/2026-12-06T21-45_issue-settled-counts.ts';

/** Listed here rather than read from disk, so the same code runs under Node's type stripping, vitest and a bundle. */
const MIGRATIONS: Record<string, Migration> = {
  '2026-11-25T00-00_initial': initial,
  '2026-12-01T22-40_issue-slot-nonce': issueSlotNonce,
  '2026-12-01T23-10_subscriber-timezone': subscriberTimezone,
  '2026-12-01T23-30_subscriber-email-prefix-index': subscriberEmailPrefixIndex,
  '2026-12-01T23-45_delivery-engine': deliveryEngine,
  '2026-12-02T00-15_top-when-no-match': topWhenNoMatch,
  '2026-12-02T03-30_deliveries-by-month': deliveriesByMonth,
  '2026-12-03T11-30_issue-number': issueNumber,
  '2026-12-04T22-00_admin-session-revocations': adminSessionRevocations,
  '2026-12-06T21-45_issue-settled-counts': issueSettledCounts,
};

export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
  });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return result;
}
