import { sql } from 'kysely';
import type { Db } from './client.ts';
import type { NewSubscriber, OutboxKind, OutboxMail } from './schema.ts';

/** Records a transactional mail that must go out; run it in the transaction that makes it due. */
export async function insertOutboxMail(db: Db, kind: OutboxKind, subscriberId: number): Promise<OutboxMail> {
  return db
    .insertInto('outbox')
    .values({ kind, subscriber_id: subscriberId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Inserts the subscribers whose address is not known yet, each with its first mail, in one
 * statement: one round trip however many, and a mail commits with its row or not at all. Answers,
 * in order, the id of each one's mail, or undefined where the address was known (a concurrent
 * insert of it is waited for; a known row is left as it was) or came earlier in the list (case
 * aside: the first is inserted).
 */
export async function insertSubscribersWithMail(
  db: Db,
  subscribers: NewSubscriber[],
  kind: OutboxKind,
): Promise<(number | undefined)[]> {
  const first = new Map<string, NewSubscriber>();
  for (const subscriber of subscribers) {
    if (!first.has(subscriber.email.toLowerCase())) first.set(subscriber.email.toLowerCase(), subscriber);
  }
  const rows = await db
    .with('created', (qb) =>
      qb
        .insertInto('subscribers')
        .values([...first.values()])
        .onConflict((conflict) => conflict.expression(sql`lower(email)`).doNothing())
        .returning(['id', 'email']),
    )
    .with('mail', (qb) =>
      qb
        .insertInto('outbox')
        .columns(['kind', 'subscriber_id'])
        .expression((eb) => eb.selectFrom('created').select([sql.lit(kind).as('kind'), 'created.id']))
        .returning(['id', 'subscriber_id']),
    )
    .selectFrom('created')
    .innerJoin('mail', 'mail.subscriber_id', 'created.id')
    .select(['created.email', 'mail.id'])
    .execute();
  const mailIds = new Map(rows.map((row) => [row.email, row.id]));
  return subscribers.map((subscriber) =>
    first.get(subscriber.email.toLowerCase()) === subscriber ? mailIds.get(subscriber.email) : undefined,
  );
}

/** The newest mail of `kind` for the subscriber, e.g. to debounce repeated signups. */
export async function latestOutboxMail(
  db: Db,
  kind: OutboxKind,
  subscriberId: number,
): Promise<OutboxMail | undefined> {
  return db
    .selectFrom('outbox')
    .selectAll()
    .where('kind', '=', kind)
    .where('subscriber_id', '=', subscriberId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Leases one due mail to `owner`; undefined when it is not due or another run holds it. */
export async function claimOutboxMail(
  db: Db,
  id: number,
  owner: string,
  leaseMs: number,
): Promise<OutboxMail | undefined> {
  return db
    .updateTable('outbox')
    .set({
      status: 'sending',
      lease_owner: owner,
      lease_expires_at: sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})`,
    })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'queued'), eb('next_attempt_at', '<=', sql<Date>`now()`)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_expires_at', '<', sql<Date>`now()`)]),
      ]),
    )
    .returningAll()
    .executeTakeFirst();
}

export type OutboxOutcome =
  | { status: 'sent' | 'skipped' }
  | { status: 'failed'; error: string }
  /** `counted` false: the relay was unreachable, which uses up no attempt. */
  | { status: 'queued'; error: string; nextAttemptAt: Date; counted: boolean };

/** Records what became of a leased mail; only the lease holder may. */
export async function recordOutboxOutcome(db: Db, id: number, owner: string, outcome: OutboxOutcome) {
  const counted = outcome.status !== 'queued' || outcome.counted;
  await db
    .updateTable('outbox')
    .set({
      status: outcome.status,
      attempts: sql<number>`attempts + ${counted ? 1 : 0}`,
      last_error: 'error' in outcome ? outcome.error : null,
      next_attempt_at: outcome.status === 'queued' ? outcome.nextAttemptAt : sql<Date>`next_attempt_at`,
      sent_at: outcome.status === 'sent' ? sql<Date>`now()` : null,
      lease_owner: null,
      lease_expires_at: null,
    })
    .where('id', '=', id)
    .where('status', '=', 'sending')
    .where('lease_owner', '=', owner)
    .execute();
}

/** Mail whose sender died mid-send goes back in the queue; then every mail due now, oldest first. */
export async function dueOutboxMail(db: Db, limit: number): Promise<Pick<OutboxMail, 'id' | 'attempts'>[]> {
  await db
    .updateTable('outbox')
    .set({ status: 'queued', lease_owner: null, lease_expires_at: null })
    .where('status', '=', 'sending')
    .where('lease_expires_at', '<', sql<Date>`now()`)
    .execute();
  return db
    .selectFrom('outbox')
    .select(['id', 'attempts'])
    .where('status', '=', 'queued')
    .where('next_attempt_at', '<=', sql<Date>`now()`)
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
}
