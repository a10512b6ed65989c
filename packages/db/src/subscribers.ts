import { sql } from 'kysely';
import type { Db } from './client.ts';
import { SOFT_BOUNCE_LIMIT } from './deliveries.ts';
import type { Cadence, NewSubscriber, Subscriber, SubscriberStatus, SubscriberUpdate } from './schema.ts';
import { type Page, prefixPattern, toPage } from './search.ts';

export { MAX_PAPERS_PER_EMAIL } from '@digest/core';

export async function findSubscriberById(db: Db, id: number): Promise<Subscriber | undefined> {
  return db.selectFrom('subscribers').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Addresses are unique regardless of case; the stored spelling is the one first given. */
export async function findSubscriberByEmail(db: Db, email: string): Promise<Subscriber | undefined> {
  return db
    .selectFrom('subscribers')
    .selectAll()
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
}

export async function findSubscribersByEmails(db: Db, emails: string[]): Promise<Subscriber[]> {
  if (emails.length === 0) return [];
  return db
    .selectFrom('subscribers')
    .selectAll()
    .where(
      sql<string>`lower(email)`,
      'in',
      emails.map((email) => email.toLowerCase()),
    )
    .execute();
}

export async function insertSubscriber(db: Db, subscriber: NewSubscriber): Promise<Subscriber> {
  return db.insertInto('subscribers').values(subscriber).returningAll().executeTakeFirstOrThrow();
}

/** Inserts the rows whose address is not known yet; returns how many were inserted. */
export async function insertSubscribersIfNew(db: Db, subscribers: NewSubscriber[]): Promise<number> {
  if (subscribers.length === 0) return 0;
  const rows = await db
    .insertInto('subscribers')
    .values(subscribers)
    .onConflict((conflict) => conflict.expression(sql`lower(email)`).doNothing())
    .returning('id')
    .execute();
  return rows.length;
}

export async function updateSubscriber(db: Db, id: number, changes: SubscriberUpdate): Promise<Subscriber> {
  return db
    .updateTable('subscribers')
    .set({ ...changes, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Activates a pending subscriber; undefined when it was not pending (a concurrent confirm won). */
export async function activatePendingSubscriber(db: Db, id: number): Promise<Subscriber | undefined> {
  return db
    .updateTable('subscribers')
    .set({
      status: 'active',
      confirmed_at: sql<Date>`now()`,
      unsubscribed_at: null,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
}

export interface SubscriberListQuery {
  status?: SubscriberStatus;
  limit: number;
  offset: number;
}

export async function listSubscribers(db: Db, query: SubscriberListQuery): Promise<Subscriber[]> {
  let select = db.selectFrom('subscribers').selectAll().orderBy('id').limit(query.limit).offset(query.offset);
  if (query.status) select = select.where('status', '=', query.status);
  return select.execute();
}

export interface SubscriberSearch {
  /** Addresses starting with this, case-insensitively. */
  emailPrefix?: string;
  status?: SubscriberStatus;
  cadence?: Cadence;
  /** Keyset cursor: the lower-cased address of the last row of the previous page. */
  after?: string;
  limit: number;
}

/**
 * One page of subscribers in address order (lower-cased, which is unique). Keyset pagination:
 * a page costs the same however deep it is, and rows added meanwhile never shift a page.
 */
export async function searchSubscribers(db: Db, query: SubscriberSearch): Promise<Page<Subscriber>> {
  let select = db
    .selectFrom('subscribers')
    .selectAll()
    .orderBy(sql`lower(email)`)
    .limit(query.limit + 1);
  if (query.emailPrefix) {
    select = select.where(sql<string>`lower(email)`, 'like', prefixPattern(query.emailPrefix.toLowerCase()));
  }
  if (query.after !== undefined) select = select.where(sql<string>`lower(email)`, '>', query.after);
  if (query.status) select = select.where('status', '=', query.status);
  if (query.cadence) select = select.where('cadence', '=', query.cadence);
  return toPage(await select.execute(), query.limit, (row) => row.email.toLowerCase());
}

/** Streams every subscriber in id order, a page at a time, so memory stays flat. */
export async function* iterateSubscribers(db: Db, pageSize = 1000): AsyncGenerator<Subscriber> {
  let after = 0;
  for (;;) {
    const page = await db
      .selectFrom('subscribers')
      .selectAll()
      .where('id', '>', after)
      .orderBy('id')
      .limit(pageSize)
      .execute();
    yield* page;
    const last = page.at(-1);
    if (!last || page.length < pageSize) return;
    after = last.id;
  }
}

/** Erases a subscriber and, by cascade, their delivery history. Returns whether one existed. */
export async function deleteSubscriberByEmail(db: Db, email: string): Promise<boolean> {
  const result = await db
    .deleteFrom('subscribers')
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * Gives known pending or active subscribers a suppressed status (unsubscribed, bounced,
 * complained) from an imported suppression list; an address already suppressed keeps its own
 * status and time. Returns how many changed.
 */
export async function suppressSubscribers(
  db: Db,
  emails: string[],
  status: Extract<SubscriberStatus, 'unsubscribed' | 'bounced' | 'complained'>,
): Promise<number> {
  if (emails.length === 0) return 0;
  const result = await db
    .updateTable('subscribers')
    .set({ status, unsubscribed_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
    .where(
      sql<string>`lower(email)`,
      'in',
      emails.map((email) => email.toLowerCase()),
    )
    .where('status', 'in', ['pending', 'active'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface DeliveryRecord {
  issueDate: string;
  cadence: string;
  status: string;
  sentAt: Date | null;
}

/** What was sent to a subscriber, oldest first: part of their data export. */
export async function subscriberDeliveryHistory(db: Db, subscriberId: number): Promise<DeliveryRecord[]> {
  return db
    .selectFrom('deliveries')
    .innerJoin('issues', 'issues.id', 'deliveries.issue_id')
    .select([
      'issues.issue_date as issueDate',
      'issues.cadence as cadence',
      'deliveries.status as status',
      'deliveries.sent_at as sentAt',
    ])
    .where('deliveries.subscriber_id', '=', subscriberId)
    .orderBy('issues.issue_date')
    .execute();
}

export type Suppression = Extract<SubscriberStatus, 'bounced' | 'complained'>;

/**
 * Marks the subscriber bounced or complained: never mailed again, whatever their status was
 * (a complaint outranks a bounce). Returns whether anything changed.
 */
export async function suppressSubscriber(
  db: Db,
  id: number,
  status: Suppression,
  reason: string,
): Promise<boolean> {
  const result = await db
    .updateTable('subscribers')
    .set({
      status,
      suppressed_at: sql<Date>`coalesce(suppressed_at, now())`,
      suppression_reason: reason.slice(0, 500),
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .where('status', 'not in', status === 'complained' ? ['complained'] : ['bounced', 'complained'])
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** A soft bounce reported from outside the send path; the third in a row suppresses the address. */
export async function recordSoftBounce(db: Db, id: number, reason: string): Promise<boolean> {
  const result = await db
    .updateTable('subscribers')
    .set((eb) => ({
      soft_bounces: eb('soft_bounces', '+', 1),
      status: sql<SubscriberStatus>`case when soft_bounces + 1 >= ${SOFT_BOUNCE_LIMIT} then 'bounced' else status end`,
      suppression_reason: reason.slice(0, 500),
      suppressed_at: sql<Date>`case when soft_bounces + 1 >= ${SOFT_BOUNCE_LIMIT} then now() else suppressed_at end`,
      updated_at: sql<Date>`now()`,
    }))
    .where('id', '=', id)
    .where('status', 'in', ['active', 'pending'])
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
