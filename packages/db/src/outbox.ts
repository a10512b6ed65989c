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
 * Inserts a subscriber whose address is not known yet together with its first mail, in one
 * statement: one round trip, and the mail commits with the row or not at all. Undefined when
 * the address is known (a concurrent insert of it is waited for); its row is left as it was.
 */
export async function insertSubscriberWithMail(
  db: Db,
  subscriber: NewSubscriber,
  kind: OutboxKind,
): Promise<Pick<OutboxMail, 'id'> | undefined> {
  return db
    .with('created', (qb) =>
      qb
        .insertInto('subscribers')
        .values(subscriber)
        .onConflict((conflict) => conflict.expression(sql`lower(email)`).doNothing())
        .returning('id'),
    )
    .insertInto('outbox')
    .columns(['kind', 'subscriber_id'])
    .expression((eb) => eb.selectFrom('created').select([sql.lit(kind).as('kind'), 'created.id']))
    .returning('id')
    .executeTakeFirst();
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
