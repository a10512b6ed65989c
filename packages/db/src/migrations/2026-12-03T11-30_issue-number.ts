import { type Kysely, sql } from 'kysely';

/**
 * Which issue of its cadence an issue is, stored when it is built: personal editions rendered
 * later during the send print the same number, however many earlier dates are filled in
 * meanwhile. Issues built before take the number their text's first line printed
 * (`Daily Papers · <date> · Issue N`); those without one count again, as they did.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('issues').addColumn('issue_number', 'integer').execute();
  await sql`
    update issues
    set issue_number = substring(text from '^[^\n]* · Issue ([0-9]{1,9})\n')::int
    where status <> 'skipped'
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('issues').dropColumn('issue_number').execute();
}
