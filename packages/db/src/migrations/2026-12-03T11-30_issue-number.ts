import type { Kysely } from 'kysely';

/**
 * Which issue of its cadence an issue is, stored when it is built: personal editions rendered
 * later during the send print the same number, however many earlier dates are filled in
 * meanwhile. Issues built before have none: their editions count again, as they did.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('issues').addColumn('issue_number', 'integer').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('issues').dropColumn('issue_number').execute();
}
