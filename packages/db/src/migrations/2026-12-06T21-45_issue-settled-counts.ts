import type { Kysely } from 'kysely';

/**
 * A sent issue's deliveries counted by status, kept on the issue: written by the statement that
 * completes it, cleared when it is sent to again. The admin's issue list then reads a row per
 * settled issue instead of counting each one's deliveries, a million apiece at scale. Issues sent
 * before are counted by the reconciler, one a pass (keepSettledCounts), not here: a migration
 * that reads the whole ledger would hold up the deploy.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('issues').addColumn('settled_counts', 'jsonb').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('issues').dropColumn('settled_counts').execute();
}
