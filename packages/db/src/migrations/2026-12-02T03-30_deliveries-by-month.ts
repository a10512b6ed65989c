import { type Kysely, type RawBuilder, sql } from 'kysely';

// Frozen in time: migrations take Kysely<any> and never import app code.
/**
 * The deliveries ledger partitioned by the month of its issue's date: at a million deliveries a
 * day, a month is one table to drop (DELIVERY_RETENTION_MONTHS) rather than 30 million rows to
 * delete. `issue_date` is the issue's, copied at insert; a foreign key on (issue_id, issue_date)
 * keeps the copy true. A partitioned table's keys must hold its partition key, so the primary key
 * and the one-original-delivery index gain `issue_date` (it follows from issue_id: the same
 * uniqueness). There is no default partition: inserts need their month's partition, which the
 * reconciler creates ahead and the fan-out and resends make sure of. This creates the months of
 * the existing rows, this month and the next, so the ledger works before any worker has run.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table issues add constraint issues_id_date_key unique (id, issue_date)`.execute(db);
  await sql`
    create table deliveries_by_month (
      id bigint generated always as identity,
      issue_id bigint not null,
      subscriber_id bigint not null,
      issue_date date not null,
      status text not null default 'queued',
      attempts integer not null default 0,
      lease_owner text,
      lease_expires_at timestamptz,
      next_attempt_at timestamptz not null default now(),
      resend boolean not null default false,
      last_error text,
      smtp_message_id text,
      queued_at timestamptz not null default now(),
      sent_at timestamptz,
      updated_at timestamptz not null default now()
    ) partition by range (issue_date)
  `.execute(db);

  const { rows: months } = await sql<{ month: string; next: string }>`
    select to_char(month, 'YYYY-MM-DD') as month, to_char(month + interval '1 month', 'YYYY-MM-DD') as next
    from (
      select date_trunc('month', i.issue_date) as month from deliveries d join issues i on i.id = d.issue_id
      union select date_trunc('month', current_date)
      union select date_trunc('month', current_date) + interval '1 month'
    ) months
    order by month
  `.execute(db);
  for (const { month, next } of months) {
    const name = `deliveries_${month.slice(0, 4)}_${month.slice(5, 7)}`;
    await sql`
      create table ${sql.id(name)} partition of deliveries_by_month
      for values from (${sql.lit(month)}) to (${sql.lit(next)})
    `.execute(db);
  }

  await sql`
    insert into deliveries_by_month (id, issue_id, subscriber_id, issue_date, status, attempts, lease_owner,
      lease_expires_at, next_attempt_at, resend, last_error, smtp_message_id, queued_at, sent_at, updated_at)
    overriding system value
    select d.id, d.issue_id, d.subscriber_id, i.issue_date, d.status, d.attempts, d.lease_owner,
      d.lease_expires_at, d.next_attempt_at, d.resend, d.last_error, d.smtp_message_id, d.queued_at, d.sent_at,
      d.updated_at
    from deliveries d join issues i on i.id = d.issue_id
  `.execute(db);
  // New ids continue where the old table's left off, never reusing one.
  await sql`
    select setval(pg_get_serial_sequence('deliveries_by_month', 'id'),
      nextval(pg_get_serial_sequence('deliveries', 'id')), false)
  `.execute(db);
  await sql`drop table deliveries`.execute(db);
  await sql`alter table deliveries_by_month rename to deliveries`.execute(db);
  await sql`alter sequence deliveries_by_month_id_seq rename to deliveries_id_seq`.execute(db);
  await addDeliveryConstraints(
    db,
    ['id', 'issue_date'],
    sql`foreign key (issue_id, issue_date) references issues (id, issue_date)`,
  );
  await sql`
    create unique index deliveries_issue_subscriber_key on deliveries (issue_id, subscriber_id, issue_date)
    where not resend
  `.execute(db);
  await sql`create index deliveries_issue_status_idx on deliveries (issue_id, status)`.execute(db);
  await sql`create index deliveries_subscriber_idx on deliveries (subscriber_id)`.execute(db);
  // A claim reads the due rows of its issue in the order it leases them (next_attempt_at, id):
  // 200 index entries rather than every due row sorted (docs/performance.md, the ledger at a million).
  await sql`
    create index deliveries_due_idx on deliveries (issue_id, next_attempt_at, id) where status = 'queued'
  `.execute(db);
  await sql`
    create index deliveries_leased_idx on deliveries (lease_expires_at) where status = 'sending'
  `.execute(db);
  // The admin's failures by reason: the deliveries waiting for a retry, without reading every queued one.
  await sql`
    create index deliveries_retrying_idx on deliveries (issue_id) where status = 'queued' and last_error is not null
  `.execute(db);
}

/** The constraints of both shapes of the table, named as the earlier migrations named them. */
async function addDeliveryConstraints(db: Kysely<any>, key: string[], issueReference: RawBuilder<unknown>) {
  await sql`
    alter table deliveries
      add constraint deliveries_pkey primary key (${sql.join(key.map((column) => sql.id(column)))}),
      add constraint deliveries_status_check
        check (status in ('queued', 'sending', 'sent', 'failed', 'bounced', 'skipped')),
      add constraint deliveries_issue_id_fkey ${issueReference} on delete cascade,
      add constraint deliveries_subscriber_id_fkey
        foreign key (subscriber_id) references subscribers (id) on delete cascade
  `.execute(db);
}

/** Back to one table (the rows of dropped months stay gone). */
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table deliveries rename to deliveries_by_month`.execute(db);
  await sql`alter sequence deliveries_id_seq rename to deliveries_by_month_id_seq`.execute(db);
  for (const name of [
    'deliveries_pkey',
    'deliveries_issue_subscriber_key',
    'deliveries_issue_status_idx',
    'deliveries_subscriber_idx',
    'deliveries_due_idx',
    'deliveries_leased_idx',
  ]) {
    await sql`alter index ${sql.id(name)} rename to ${sql.id(`${name}_by_month`)}`.execute(db);
  }
  await sql`
    create table deliveries (
      id bigint generated always as identity,
      issue_id bigint not null,
      subscriber_id bigint not null,
      status text not null default 'queued',
      attempts integer not null default 0,
      lease_owner text,
      last_error text,
      smtp_message_id text,
      queued_at timestamptz not null default now(),
      sent_at timestamptz,
      updated_at timestamptz not null default now(),
      lease_expires_at timestamptz,
      next_attempt_at timestamptz not null default now(),
      resend boolean not null default false
    )
  `.execute(db);
  await sql`
    insert into deliveries (id, issue_id, subscriber_id, status, attempts, lease_owner, last_error,
      smtp_message_id, queued_at, sent_at, updated_at, lease_expires_at, next_attempt_at, resend)
    overriding system value
    select id, issue_id, subscriber_id, status, attempts, lease_owner, last_error, smtp_message_id, queued_at,
      sent_at, updated_at, lease_expires_at, next_attempt_at, resend
    from deliveries_by_month
  `.execute(db);
  await sql`
    select setval(pg_get_serial_sequence('deliveries', 'id'),
      nextval(pg_get_serial_sequence('deliveries_by_month', 'id')), false)
  `.execute(db);
  await sql`drop table deliveries_by_month`.execute(db);
  await addDeliveryConstraints(db, ['id'], sql`foreign key (issue_id) references issues (id)`);
  await sql`
    create unique index deliveries_issue_subscriber_key on deliveries (issue_id, subscriber_id) where not resend
  `.execute(db);
  await sql`create index deliveries_issue_status_idx on deliveries (issue_id, status)`.execute(db);
  await sql`create index deliveries_subscriber_idx on deliveries (subscriber_id)`.execute(db);
  await sql`
    create index deliveries_due_idx on deliveries (issue_id, next_attempt_at) where status = 'queued'
  `.execute(db);
  await sql`
    create index deliveries_leased_idx on deliveries (lease_expires_at) where status = 'sending'
  `.execute(db);
  await sql`alter table issues drop constraint issues_id_date_key`.execute(db);
}
