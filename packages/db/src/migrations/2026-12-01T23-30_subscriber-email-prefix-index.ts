import { type Kysely, sql } from 'kysely';

/**
 * Address prefix search (`lower(email) like 'ab%'`) for the admin console: the unique index on
 * lower(email) uses the database collation, which LIKE cannot use; text_pattern_ops can.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index subscribers_email_prefix on subscribers (lower(email) text_pattern_ops)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index subscribers_email_prefix`.execute(db);
}
