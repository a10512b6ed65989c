import { type Kysely, sql } from 'kysely';

/**
 * The delivery engine: Postgres holds every piece of work, Redis only carries it.
 * - deliveries: a lease per run (owner + expiry) instead of a job-id claim; per-delivery retry
 *   time; resends are new rows, so the ledger keeps the first send too.
 * - issues: paused and cancelled.
 * - subscribers: soft-bounce count and the suppression record.
 * - outbox: transactional mail (confirmation, welcome) written before it is enqueued.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table issues drop constraint issues_status_check,
      add constraint issues_status_check
        check (status in ('sending', 'paused', 'cancelled', 'sent', 'skipped'))
  `.execute(db);

  await sql`alter table deliveries rename column claimed_by to lease_owner`.execute(db);
  await db.schema
    .alterTable('deliveries')
    .addColumn('lease_expires_at', 'timestamptz')
    .addColumn('next_attempt_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('resend', 'boolean', (col) => col.notNull().defaultTo(false))
    .execute();
  await sql`alter table deliveries drop constraint deliveries_issue_subscriber_key`.execute(db);
  // One original delivery per (issue, subscriber); resends are extra rows beside it.
  await sql`
    create unique index deliveries_issue_subscriber_key on deliveries (issue_id, subscriber_id)
    where not resend
  `.execute(db);
  await sql`
    create index deliveries_due_idx on deliveries (issue_id, next_attempt_at) where status = 'queued'
  `.execute(db);
  await sql`
    create index deliveries_leased_idx on deliveries (lease_expires_at) where status = 'sending'
  `.execute(db);

  await db.schema
    .alterTable('subscribers')
    .addColumn('soft_bounces', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('suppressed_at', 'timestamptz')
    .addColumn('suppression_reason', 'text')
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('subscriber_id', 'bigint', (col) =>
      col.notNull().references('subscribers.id').onDelete('cascade'),
    )
    .addColumn('status', 'text', (col) =>
      col
        .notNull()
        .defaultTo('queued')
        .check(sql`status in ('queued', 'sending', 'sent', 'failed', 'skipped')`),
    )
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .execute();
  await sql`create index outbox_due_idx on outbox (next_attempt_at) where status = 'queued'`.execute(db);
  await sql`create index outbox_leased_idx on outbox (lease_expires_at) where status = 'sending'`.execute(db);
  await db.schema
    .createIndex('outbox_subscriber_idx')
    .on('outbox')
    .columns(['subscriber_id', 'kind'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('outbox').execute();
  await db.schema
    .alterTable('subscribers')
    .dropColumn('soft_bounces')
    .dropColumn('suppressed_at')
    .dropColumn('suppression_reason')
    .execute();
  await sql`delete from deliveries where resend`.execute(db);
  for (const index of ['deliveries_issue_subscriber_key', 'deliveries_due_idx', 'deliveries_leased_idx']) {
    await sql`drop index ${sql.ref(index)}`.execute(db);
  }
  await sql`
    alter table deliveries add constraint deliveries_issue_subscriber_key unique (issue_id, subscriber_id)
  `.execute(db);
  await db.schema
    .alterTable('deliveries')
    .dropColumn('lease_expires_at')
    .dropColumn('next_attempt_at')
    .dropColumn('resend')
    .execute();
  await sql`alter table deliveries rename column lease_owner to claimed_by`.execute(db);
  await sql`update issues set status = 'sending' where status in ('paused', 'cancelled')`.execute(db);
  await sql`
    alter table issues drop constraint issues_status_check,
      add constraint issues_status_check check (status in ('sending', 'sent', 'skipped'))
  `.execute(db);
}
