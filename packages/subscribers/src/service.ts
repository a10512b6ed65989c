import { AppError, groupCommit, parseInput } from '@digest/core';
import {
  activatePendingSubscriber,
  type ConsentSource,
  type Db,
  deleteSubscriberByEmail,
  findSubscriberByEmail,
  findSubscriberById,
  insertOutboxMail,
  insertSubscribersWithMail,
  latestOutboxMail,
  type NewSubscriber,
  type OutboxKind,
  type OutboxMail,
  type Subscriber,
  type SubscriberUpdate,
  updateSubscriber,
} from '@digest/db';
import type { Queues } from '@digest/queue';
import { type Preferences, preferencesSchema, type Signup, signupSchema } from './schemas.ts';
import type { TokenPurpose, TokenSigner } from './tokens.ts';

export interface SubscriptionContext {
  db: Db;
  queues: Queues;
  tokens: TokenSigner;
}

export interface Consent {
  source: ConsentSource;
  ip?: string;
  userAgent?: string;
}

/** At most one mail of a kind (confirmation, data export) per address in this window, however often asked. */
const CONFIRMATION_DEDUP_MS = 60_000;

/** Validates a signup request: an `invalid_input` AppError listing every problem otherwise. */
export function parseSignup(input: unknown): Signup {
  return parseInput(signupSchema, input, 'subscription');
}

/**
 * Records a signup and mails a confirmation link (double opt-in). The caller answers the same
 * way whatever happened here, so the response never tells whether an address is known.
 */
export async function subscribe(ctx: SubscriptionContext, signup: Signup, consent: Consent): Promise<void> {
  const choices = {
    cadence: signup.cadence,
    keywords: signup.keywords,
    papers_per_email: signup.size ?? null,
    timezone: signup.timezone ?? null,
    consent_at: new Date(),
    consent_ip: consent.ip?.slice(0, 64) ?? null,
    consent_user_agent: consent.userAgent?.slice(0, 512) ?? null,
    consent_source: consent.source,
  };

  // A new address, the common case: the row and its confirmation in one statement.
  const created = await insertNewAddress(ctx.db, { email: signup.email, status: 'pending', ...choices });
  if (created) return enqueueOutboxMail(ctx, { id: created });

  const subscriber = await findSubscriberByEmail(ctx.db, signup.email);
  // Only an unconfirmed or departed address may be (re)started by an anonymous request. Active:
  // nothing to do. Bounced or complained: never mail again from a form. Gone: erased meanwhile.
  if (subscriber?.status !== 'pending' && subscriber?.status !== 'unsubscribed') return;
  await recordMail(ctx, 'confirmation', subscriber.id, { status: 'pending', ...choices });
}

/** New addresses per statement: one round trip, bounded. */
const SIGNUPS_PER_STATEMENT = 200;
const newAddressInserts = new WeakMap<Db, (subscriber: NewSubscriber) => Promise<number | undefined>>();

/**
 * Inserts a new address with its confirmation mail, together with the others that arrive while
 * the previous statement is in flight (group commit, one statement a database handle at a time):
 * the id of its mail, or undefined when the address is known. The rows are validated signups,
 * which no constraint refuses one by one: a statement fails as a whole (Postgres away), and each
 * of its signups with it.
 */
function insertNewAddress(db: Db, subscriber: NewSubscriber): Promise<number | undefined> {
  let insert = newAddressInserts.get(db);
  if (!insert) {
    insert = groupCommit(
      (subscribers: NewSubscriber[]) => insertSubscribersWithMail(db, subscribers, 'confirmation'),
      SIGNUPS_PER_STATEMENT,
    );
    newAddressInserts.set(db, insert);
  }
  return insert(subscriber);
}

/**
 * Records a mail for the subscriber in the outbox, unless one of the same kind was recorded in
 * the last minute (a form sent twice), then hands it to the queue. `change`, the update that
 * makes the mail due, commits with it.
 */
async function recordMail(
  ctx: SubscriptionContext,
  kind: OutboxKind,
  subscriberId: number,
  change?: SubscriberUpdate,
): Promise<void> {
  const mail = await ctx.db.transaction().execute(async (trx) => {
    // Locks the subscriber (the update does too), which serialises requests for one subscriber,
    // so the debounce below sees the other's mail.
    const lock = trx.selectFrom('subscribers').select('id').where('id', '=', subscriberId).forUpdate();
    await (change ? updateSubscriber(trx, subscriberId, change) : lock.execute());
    const latest = await latestOutboxMail(trx, kind, subscriberId);
    if (latest && Date.now() - latest.created_at.getTime() < CONFIRMATION_DEDUP_MS) return undefined;
    return insertOutboxMail(trx, kind, subscriberId);
  });
  if (mail) await enqueueOutboxMail(ctx, mail);
}

/**
 * Hands a recorded outbox mail to the queue. The row is the promise: if Redis cannot take the
 * job now, the reconciler enqueues it on its next pass, so the caller's answer stays the same.
 */
async function enqueueOutboxMail(ctx: SubscriptionContext, mail: Pick<OutboxMail, 'id'>): Promise<void> {
  await ctx.queues.enqueueGrouped('send-mail', { outboxId: mail.id }, `mail-${mail.id}`).catch(() => {});
}

/** Reads the subscriber a token is for, without changing anything (what a GET may do). */
export async function subscriberForToken(
  ctx: Pick<SubscriptionContext, 'db' | 'tokens'>,
  purpose: TokenPurpose,
  token: string,
): Promise<Subscriber> {
  const subscriber = await findSubscriberById(ctx.db, verifiedLink(ctx, purpose, token).subscriberId);
  if (!subscriber) throw invalidLink();
  return subscriber;
}

/** The claims of a genuine, unexpired link for `purpose`; an `invalid_token` AppError otherwise. */
export function verifiedLink(ctx: Pick<SubscriptionContext, 'tokens'>, purpose: TokenPurpose, token: string) {
  const claims = ctx.tokens.verify(purpose, token);
  if (!claims) throw invalidLink();
  return claims;
}

function invalidLink(): AppError {
  return new AppError('invalid_token', 'This link is not valid. It may have expired or been mistyped.');
}

/** Confirms a pending subscription; confirming twice, even at once, is harmless. */
export async function confirm(ctx: SubscriptionContext, token: string): Promise<Subscriber> {
  const subscriber = await subscriberForToken(ctx, 'confirm', token);
  if (subscriber.status === 'active') return subscriber;
  if (subscriber.status !== 'pending') {
    throw new AppError('invalid_token', 'This confirmation link is no longer valid. Please subscribe again.');
  }
  // Activation and its welcome commit together: a confirmation never loses its welcome.
  const confirmed = await ctx.db.transaction().execute(async (trx) => {
    const activated = await activatePendingSubscriber(trx, subscriber.id);
    return (
      activated && { subscriber: activated, welcome: await insertOutboxMail(trx, 'welcome', activated.id) }
    );
  });
  // A concurrent request confirmed it first, and welcomes them.
  if (!confirmed) return subscriberForToken(ctx, 'confirm', token);
  // One welcome per confirmation: someone who comes back after unsubscribing is welcomed again.
  await enqueueOutboxMail(ctx, confirmed.welcome);
  return confirmed.subscriber;
}

/**
 * One-click unsubscribe (RFC 8058): immediate, idempotent, no login. A genuine link of a
 * subscriber who has since been erased succeeds too: that address is on no list.
 */
export async function unsubscribe(
  ctx: Pick<SubscriptionContext, 'db' | 'tokens'>,
  token: string,
): Promise<Subscriber | undefined> {
  const { subscriberId } = verifiedLink(ctx, 'unsubscribe', token);
  await endSubscription(ctx, subscriberId);
  return findSubscriberById(ctx.db, subscriberId);
}

/**
 * Unsubscribes an active or pending subscriber (the record and its history stay); returns
 * whether anything changed. Bounced, complained or departed addresses are left as they are.
 */
export async function endSubscription(
  ctx: Pick<SubscriptionContext, 'db'>,
  subscriberId: number,
): Promise<boolean> {
  const subscriber = await findSubscriberById(ctx.db, subscriberId);
  if (subscriber?.status !== 'active' && subscriber?.status !== 'pending') return false;
  await updateSubscriber(ctx.db, subscriber.id, { status: 'unsubscribed', unsubscribed_at: new Date() });
  return true;
}

/** Erases a subscriber and their delivery history, or says there is no such address. */
export async function eraseSubscriber(ctx: Pick<SubscriptionContext, 'db'>, email: string): Promise<void> {
  if (!(await deleteSubscriberByEmail(ctx.db, email))) {
    throw new AppError('not_found', `No subscriber with the address ${email}.`);
  }
}

export async function savePreferences(
  ctx: Pick<SubscriptionContext, 'db' | 'tokens'>,
  token: string,
  input: unknown,
): Promise<Subscriber> {
  const subscriber = await subscriberForToken(ctx, 'preferences', token);
  const preferences: Preferences = parseInput(preferencesSchema, input, 'preferences');
  return updateSubscriber(ctx.db, subscriber.id, {
    cadence: preferences.cadence,
    keywords: preferences.keywords,
    papers_per_email: preferences.size ?? null,
    timezone: preferences.timezone ?? null,
    paused_at: preferences.paused ? (subscriber.paused_at ?? new Date()) : null,
    top_when_no_match: preferences.topWhenNoMatch,
  });
}

/**
 * A confirmation link that is genuine but past its 48 hours: mails a fresh one when the address
 * still awaits confirmation. Returns what the page should say.
 */
export async function renewConfirmation(
  ctx: SubscriptionContext,
  token: string,
  /** Whether this inbox may get one more confirmation mail (the per-mailbox limit). */
  mayMail: (email: string) => Promise<boolean>,
): Promise<'sent' | 'already-active' | 'not-pending'> {
  const claims = ctx.tokens.verify('confirm', token, 0);
  if (!claims) throw invalidLink();
  const subscriber = await findSubscriberById(ctx.db, claims.subscriberId);
  if (subscriber?.status === 'active') return 'already-active';
  if (subscriber?.status !== 'pending') return 'not-pending';
  // Over the limit, the page says the same: the link is as good as any already mailed.
  if (await mayMail(subscriber.email)) await recordMail(ctx, 'confirmation', subscriber.id);
  return 'sent';
}

/** Whether a confirmation token is genuine but expired (the page then offers a fresh link). */
export function isExpiredConfirmation(ctx: Pick<SubscriptionContext, 'tokens'>, token: string): boolean {
  return !ctx.tokens.verify('confirm', token) && ctx.tokens.verify('confirm', token, 0) !== undefined;
}

/** Mails the subscriber of a preferences link everything stored about them. */
export async function requestDataExport(ctx: SubscriptionContext, token: string): Promise<Subscriber> {
  const subscriber = await subscriberForToken(ctx, 'preferences', token);
  await recordMail(ctx, 'data-export', subscriber.id);
  return subscriber;
}

/** "Delete me": erases the subscriber of a preferences link with their delivery history. */
export async function eraseByPreferencesLink(ctx: Pick<SubscriptionContext, 'db' | 'tokens'>, token: string) {
  const subscriber = await subscriberForToken(ctx, 'preferences', token);
  await deleteSubscriberByEmail(ctx.db, subscriber.email);
}
