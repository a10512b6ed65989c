import { type Kysely, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import app code.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('papers')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('external_id', 'text', (col) => col.notNull().unique())
    .addColumn('title', 'text', (col) => col.notNull())
    .addColumn('summary', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('authors', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .addColumn('author_count', 'integer')
    .addColumn('organization', 'text')
    .addColumn('published_on', 'date')
    .addColumn('featured_at', 'timestamptz', (col) => col.notNull())
    .addColumn('upvotes', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('num_comments', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('paper_url', 'text')
    .addColumn('code_url', 'text')
    .addColumn('ai_summary', 'text')
    .addColumn('ai_keywords', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('papers_featured_at_idx')
    .on('papers')
    .columns(['featured_at', 'upvotes'])
    .execute();

  await db.schema
    .createTable('subscribers')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) =>
      col
        .notNull()
        .defaultTo('pending')
        .check(sql`status in ('pending', 'active', 'unsubscribed', 'bounced', 'complained')`),
    )
    .addColumn('cadence', 'text', (col) =>
      col.notNull().defaultTo('daily').check(sql`cadence in ('daily', 'weekly')`),
    )
    .addColumn('keywords', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .addColumn('papers_per_email', 'integer', (col) => col.check(sql`papers_per_email between 1 and 50`))
    .addColumn('paused_at', 'timestamptz')
    .addColumn('consent_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('consent_ip', 'text')
    .addColumn('consent_user_agent', 'text')
    .addColumn('consent_source', 'text', (col) =>
      col.notNull().check(sql`consent_source in ('form', 'api', 'import')`),
    )
    .addColumn('confirmed_at', 'timestamptz')
    .addColumn('unsubscribed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index subscribers_email_key on subscribers (lower(email))`.execute(db);
  await db.schema
    .createIndex('subscribers_status_cadence_idx')
    .on('subscribers')
    .columns(['status', 'cadence'])
    .execute();

  await db.schema
    .createTable('issues')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('cadence', 'text', (col) => col.notNull().check(sql`cadence in ('daily', 'weekly')`))
    .addColumn('issue_date', 'date', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().check(sql`status in ('sending', 'sent', 'skipped')`))
    .addColumn('subject', 'text', (col) => col.notNull())
    .addColumn('papers', 'jsonb', (col) => col.notNull())
    // The period's next papers in rank order, for subscribers who ask for more or filter by keyword.
    .addColumn('more_papers', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('html', 'text', (col) => col.notNull())
    .addColumn('text', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    .addUniqueConstraint('issues_cadence_date_key', ['cadence', 'issue_date'])
    .execute();

  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('issue_id', 'bigint', (col) => col.notNull().references('issues.id').onDelete('cascade'))
    .addColumn('subscriber_id', 'bigint', (col) =>
      col.notNull().references('subscribers.id').onDelete('cascade'),
    )
    .addColumn('status', 'text', (col) =>
      col
        .notNull()
        .defaultTo('queued')
        .check(sql`status in ('queued', 'sending', 'sent', 'failed', 'bounced', 'skipped')`),
    )
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('claimed_by', 'text')
    .addColumn('last_error', 'text')
    .addColumn('smtp_message_id', 'text')
    .addColumn('queued_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('deliveries_issue_subscriber_key', ['issue_id', 'subscriber_id'])
    .execute();
  await db.schema
    .createIndex('deliveries_issue_status_idx')
    .on('deliveries')
    .columns(['issue_id', 'status'])
    .execute();
  await db.schema.createIndex('deliveries_subscriber_idx').on('deliveries').column('subscriber_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['deliveries', 'issues', 'subscribers', 'papers']) {
    await db.schema.dropTable(table).execute();
  }
}
