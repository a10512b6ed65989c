import type { Kysely } from 'kysely';

/** A keyword reader's choice for days when nothing matches: the top papers, or no email. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('subscribers')
    .addColumn('top_when_no_match', 'boolean', (col) => col.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('subscribers').dropColumn('top_when_no_match').execute();
}
