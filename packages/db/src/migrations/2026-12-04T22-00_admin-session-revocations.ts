import type { Kysely } from 'kysely';

/**
 * Admin sessions signed out before they expire: the session cookie is signed and carries its own
 * expiry, so without this a copy of it taken before sign-out would still open the console.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('admin_session_revocations')
    .addColumn('session_id', 'text', (column) => column.primaryKey())
    .addColumn('expires_at', 'timestamptz', (column) => column.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('admin_session_revocations').execute();
}
