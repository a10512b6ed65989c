import type { Kysely } from 'kysely';

// The reader's own time zone (an IANA name); null means DIGEST_TZ.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('subscribers').addColumn('timezone', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('subscribers').dropColumn('timezone').execute();
}
