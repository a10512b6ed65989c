import type { Kysely } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import app code.
/**
 * The nonce of the per-recipient markers in an issue's mail. Issues built before have none: their
 * bodies are never filled per recipient (their old markers could have come from paper data), only
 * the List-Unsubscribe header is.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('issues').addColumn('slot_nonce', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('issues').dropColumn('slot_nonce').execute();
}
