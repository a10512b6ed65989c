import { type RawBuilder, sql } from 'kysely';
import { type Db, PREPARED } from './client.ts';
import type { Cadence, DeliveryStatus, Issue } from './schema.ts';
import { type Page, prefixPattern, toPage } from './search.ts';

/**
 * Queues one delivery for every active, unpaused subscriber of the cadence; returns how many.
 * A reader with a time zone gets theirs at the next `localHour` o'clock there (at once when it is
 * that hour there now); a reader without one at once: the build itself runs at DIGEST_CRON.
 * The issue's month needs its partition (ensureDeliveryPartitions).
 */
export async function queueDeliveriesForAudience(
  db: Db,
  issueId: number,
  cadence: Cadence,
  localHour: number,
): Promise<number> {
  const result = await sql`
    insert into deliveries (issue_id, issue_date, subscriber_id, next_attempt_at)
    select i.id, i.issue_date, s.id, ${readersMorning(sql.ref('s.timezone'), localHour)}
    from issues i
    join subscribers s on s.status = 'active' and s.cadence = ${cadence} and s.paused_at is null
    where i.id = ${issueId}
    -- Ids follow this order and runs claim in id order (within a due time), so the readers of one
    -- personal edition are claimed together: its render is reused, not evicted and done again.
    order by s.keywords, s.papers_per_email, s.top_when_no_match
    on conflict (issue_id, subscriber_id, issue_date) where not resend do nothing
  `.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * The next `hour` o'clock in time zone `zone` from now, or now while it is that hour there; now
 * for a missing zone, or one Postgres does not know.
 */
function readersMorning(zone: RawBuilder<unknown>, hour: number) {
  const local = sql`(now() at time zone ${zone})`;
  const today = sql`(date_trunc('day', ${local}) + make_interval(hours => ${hour}))`;
  return sql<Date>`
    case
      when ${zone} is null or not exists (select 1 from pg_timezone_names z where z.name = ${zone}) then now()
      when ${local} >= ${today} and ${local} < ${today} + interval '1 hour' then now()
      when ${local} < ${today} then ${today} at time zone ${zone}
      else (${today} + interval '1 day') at time zone ${zone}
    end`;
}

/** A lease of `ms` milliseconds from the database's clock, the one every worker shares. */
const leaseEnd = (ms: number) => sql<Date>`now() + make_interval(secs => ${ms / 1000})`;

/** The claimed delivery's subscriber (`s`) may still get mail. */
const deliverable = sql<boolean>`(s.status = 'active' and s.paused_at is null)`;

/**
 * The issue's own month of the ledger: `issue_date` is the partition key, and given as a subquery
 * of the issue, Postgres reads that one partition only (pruned as the query runs).
 */
function inIssueMonth(issueId: number, table = 'deliveries') {
  return sql<boolean>`${sql.ref(`${table}.issue_date`)} = (select issue_date from issues where id = ${issueId})`;
}

export interface ClaimedDelivery {
  id: number;
  subscriberId: number;
  email: string;
  /** Tries that got an answer from the relay so far. */
  attempts: number;
  /** When the delivery was queued: the retry budget counts from here. */
  queuedAt: Date;
  /** The subscriber's preferences as they are at send time. */
  keywords: string[];
  papersPerEmail: number | null;
  topWhenNoMatch: boolean;
  /** The subscriber's soft bounces in a row when claimed: a send that goes through clears them. */
  softBounces: number;
}

/**
 * Leases to `owner` (one send run) up to `limit` of the issue's due deliveries, oldest due first,
 * after putting back what a run that died left `sending` (its lease lapsed). Nothing is claimed
 * unless the issue is sending (not paused or cancelled). Rows of subscribers who are no longer
 * active become skipped. `skip locked` lets any number of runs claim side by side without
 * waiting on each other; the due index hands the rows over in order, so a claim reads about
 * `limit` of them however many are due.
 */
export async function claimDueDeliveries(
  db: Db,
  issueId: number,
  owner: string,
  options: { limit: number; leaseMs: number },
): Promise<ClaimedDelivery[]> {
  await requeueLapsedDeliveries(db, issueId);
  const { rows } = await sql<{
    id: number;
    subscriber_id: number;
    email: string;
    attempts: number;
    queued_at: Date;
    keywords: string[];
    papers_per_email: number | null;
    top_when_no_match: boolean;
    soft_bounces: number;
    status: DeliveryStatus;
  }>`
    with target as (
      select d.id, d.issue_date
      from deliveries d
      where d.issue_id = ${issueId}
        -- The issue's month, and none at all unless the issue is sending.
        and d.issue_date = (select i.issue_date from issues i where i.id = ${issueId} and i.status = 'sending')
        and d.status = 'queued' and d.next_attempt_at <= now()
      order by d.next_attempt_at, d.id
      limit ${options.limit}
      for update of d skip locked
    )
    update deliveries d
    set status = case when ${deliverable} then 'sending' else 'skipped' end,
        lease_owner = ${owner},
        lease_expires_at = ${leaseEnd(options.leaseMs)},
        last_error = case when ${deliverable} then d.last_error else 'subscriber is no longer active' end,
        updated_at = now()
    from target t, subscribers s
    where d.id = t.id and d.issue_date = t.issue_date and s.id = d.subscriber_id
    returning d.id, d.subscriber_id, s.email, d.attempts, d.queued_at, s.keywords, s.papers_per_email,
      s.top_when_no_match, s.soft_bounces, d.status
  `.execute(db);
  return rows
    .filter((row) => row.status === 'sending')
    .map((row) => ({
      id: row.id,
      subscriberId: row.subscriber_id,
      email: row.email,
      attempts: row.attempts,
      queuedAt: row.queued_at,
      keywords: row.keywords,
      papersPerEmail: row.papers_per_email,
      topWhenNoMatch: row.top_when_no_match,
      softBounces: row.soft_bounces,
    }));
}

/**
 * Extends the lease of every delivery `owner` still holds, while it holds it (not lapsed) and its
 * issue is still sending; returns how many. Zero tells the run to stop: its rows were taken over,
 * or the issue was paused or cancelled.
 */
export async function renewDeliveryLeases(db: Db, owner: string, leaseMs: number): Promise<number> {
  const result = await db
    .updateTable('deliveries')
    .set({ lease_expires_at: leaseEnd(leaseMs) })
    .where('lease_owner', '=', owner)
    .where('status', '=', 'sending')
    .where('lease_expires_at', '>', sql<Date>`now()`)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('issues')
          .select('issues.id')
          .whereRef('issues.id', '=', 'deliveries.issue_id')
          .where('issues.status', '=', 'sending'),
      ),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Whether the issue `issueId` names (a column or a value) was cancelled. */
function issueCancelled(issueId: RawBuilder<unknown> | number) {
  return sql<boolean>`exists (select 1 from issues i where i.id = ${issueId} and i.status = 'cancelled')`;
}

/** Held deliveries go back to `queued`, or become skipped when their issue was cancelled. */
const releasedStatus = sql<DeliveryStatus>`case when ${issueCancelled(sql.ref('deliveries.issue_id'))}
  then 'skipped' else 'queued' end`;

/** Puts the deliveries `owner` holds but did not send back in the queue, due at once. */
export async function releaseDeliveries(db: Db, owner: string): Promise<number> {
  const result = await db
    .updateTable('deliveries')
    .set({ status: releasedStatus, lease_owner: null, lease_expires_at: null, updated_at: sql<Date>`now()` })
    .where('lease_owner', '=', owner)
    .where('status', '=', 'sending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * What became of one message. `retry` counts an attempt and waits until `nextAttemptAt`;
 * `deferred` waits without counting one (relay unreachable, domain throttled);
 * `soft_bounce` fails it and counts towards suppressing the address; `hard_bounce` suppresses it.
 */
export type DeliveryOutcome =
  | 'sent'
  | 'retry'
  | 'deferred'
  | 'failed'
  | 'soft_bounce'
  | 'hard_bounce'
  | 'no_match';

export interface DeliveryResult {
  id: number;
  outcome: DeliveryOutcome;
  smtpMessageId?: string;
  error?: string;
  nextAttemptAt?: Date;
  /**
   * A send to a subscriber who had soft bounces when claimed (ClaimedDelivery.softBounces): it
   * clears them. One recorded after the claim stays until the subscriber's next send.
   */
  clearsSoftBounces?: boolean;
}

const STATUS_OF: Record<DeliveryOutcome, DeliveryStatus> = {
  sent: 'sent',
  retry: 'queued',
  deferred: 'queued',
  failed: 'failed',
  soft_bounce: 'failed',
  hard_bounce: 'bounced',
  no_match: 'skipped',
};

/** Consecutive soft bounces that suppress an address. */
export const SOFT_BOUNCE_LIMIT = 3;

/**
 * Records a batch of outcomes in one statement, and the bounces on their subscribers. Only rows
 * `owner` still leases are touched, except that a message the relay accepted is recorded as sent
 * even if the lease lapsed meanwhile: that is the truth, and it keeps another run from sending
 * it again. A sent message clears the subscriber's soft-bounce count (as it was when claimed:
 * see DeliveryResult.clearsSoftBounces).
 *
 * This is the send path's hot statement: every SMTP session waits for it between two messages.
 * A batch of plain sends (nothing to change on a subscriber) takes a statement of its own, about
 * half the time of the general one; both are prepared once per connection, and planned once on
 * connections with generic plans (the send path's). `d.id = any(ids)` beside the join is for that
 * plan: it gives the index scan a condition known without the ids, where a plan made while the
 * month's partition was still empty would read the issue's every row at each call once it fills
 * (80 ms a write at 200,000 rows).
 */
export async function recordDeliveryResults(
  db: Db,
  issue: Pick<Issue, 'id' | 'issue_date'>,
  owner: string,
  results: DeliveryResult[],
): Promise<void> {
  if (results.length === 0) return;
  if (results.every((r) => r.outcome === 'sent' && !r.clearsSoftBounces)) {
    await recordPlainSends(db, issue, results);
    return;
  }
  const ids = results.map((r) => r.id);
  await sql`${PREPARED}
    with v as (
      select u.id, u.outcome, u.message_id, u.next_attempt_at,
        case when c.cancelled then 'skipped' else u.status end as status,
        case when c.cancelled then ${CANCELLED}::text else u.error end as error
      from unnest(
        ${ids}::bigint[],
        ${results.map((r) => r.outcome)}::text[],
        ${results.map((r) => STATUS_OF[r.outcome])}::text[],
        ${results.map((r) => r.smtpMessageId ?? null)}::text[],
        ${results.map((r) => r.error ?? null)}::text[],
        ${results.map((r) => r.nextAttemptAt ?? null)}::timestamptz[]
      ) as u(id, outcome, status, message_id, error, next_attempt_at),
      -- Cancelled while the run was sending: what would wait for another try is skipped, as the
      -- cancel skipped the rest (nothing claims a cancelled issue's rows).
      lateral (select u.status = 'queued' and ${issueCancelled(issue.id)} as cancelled) c
    ),
    recorded as (
      update deliveries d
      set status = v.status,
          attempts = d.attempts + case when v.outcome in ('deferred', 'no_match') then 0 else 1 end,
          next_attempt_at = coalesce(v.next_attempt_at, d.next_attempt_at),
          lease_owner = case when v.status = 'queued' then null else d.lease_owner end,
          lease_expires_at = null,
          smtp_message_id = coalesce(v.message_id, d.smtp_message_id),
          last_error = v.error,
          sent_at = case when v.outcome = 'sent' then now() else d.sent_at end,
          updated_at = now()
      from v
      where d.id = v.id
        and d.id = any(${ids}::bigint[])
        and d.issue_date = ${issue.issue_date}::date
        and ((d.status = 'sending' and d.lease_owner = ${owner})
          or (v.outcome = 'sent' and d.status in ('queued', 'sending')))
      returning d.subscriber_id, v.outcome, v.error
    )
    update subscribers s
    set soft_bounces = case when r.outcome = 'sent' then 0 else s.soft_bounces + 1 end,
        status = case
          when r.outcome = 'hard_bounce' or (r.outcome = 'soft_bounce' and s.soft_bounces + 1 >= ${SOFT_BOUNCE_LIMIT})
          then 'bounced' else s.status end,
        suppressed_at = case
          when r.outcome = 'hard_bounce' or (r.outcome = 'soft_bounce' and s.soft_bounces + 1 >= ${SOFT_BOUNCE_LIMIT})
          then coalesce(s.suppressed_at, now()) else s.suppressed_at end,
        suppression_reason = case when r.outcome = 'sent' then s.suppression_reason else r.error end,
        updated_at = now()
    from recorded r
    where s.id = r.subscriber_id
      and s.status in ('active', 'pending')
      and (r.outcome in ('hard_bounce', 'soft_bounce') or (r.outcome = 'sent' and s.soft_bounces > 0))
  `.execute(db);
}

/** recordDeliveryResults for outcomes that are all `sent`, to subscribers without soft bounces. */
async function recordPlainSends(
  db: Db,
  issue: Pick<Issue, 'issue_date'>,
  results: DeliveryResult[],
): Promise<void> {
  const ids = results.map((r) => r.id);
  await sql`${PREPARED}
    update deliveries d
    set status = 'sent',
        attempts = d.attempts + 1,
        lease_expires_at = null,
        smtp_message_id = coalesce(v.message_id, d.smtp_message_id),
        last_error = null,
        sent_at = now(),
        updated_at = now()
    from unnest(${ids}::bigint[], ${results.map((r) => r.smtpMessageId ?? null)}::text[]) as v(id, message_id)
    where d.id = v.id
      and d.id = any(${ids}::bigint[])
      -- The date itself, not a subquery: only that month's partition is read.
      and d.issue_date = ${issue.issue_date}::date
      and d.status in ('queued', 'sending')
  `.execute(db);
}

/**
 * Deliveries (of every issue, or of the one given) whose run died: their lease lapsed while
 * `sending`. Back to `queued`, due at once.
 */
export async function requeueLapsedDeliveries(db: Db, issueId?: number): Promise<number> {
  const result = await db
    .updateTable('deliveries')
    .set({ status: releasedStatus, lease_owner: null, lease_expires_at: null, updated_at: sql<Date>`now()` })
    .where('status', '=', 'sending')
    .where('lease_expires_at', '<', sql<Date>`now()`)
    .$if(issueId !== undefined, (qb) => qb.where('issue_id', '=', issueId as number))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Issues being sent (all, or the one given) that have deliveries due now, with how many, counted
 * up to `atMost`: the send runs an issue gets stop growing well before its whole audience, and
 * counting no further keeps each reconciler pass short however large the issue.
 */
export async function listIssuesWithDueDeliveries(
  db: Db,
  atMost: number,
  issueId?: number,
): Promise<{ issueId: number; due: number }[]> {
  const { rows } = await sql<{ issueId: number; due: number }>`
    select i.id as "issueId", due.count as due
    from issues i
    cross join lateral (
      select count(*)::int as count from (
        select from deliveries d
        where d.issue_id = i.id and d.issue_date = i.issue_date
          and d.status = 'queued' and d.next_attempt_at <= now()
        limit ${atMost}
      ) waiting
    ) due
    where i.status = 'sending' and due.count > 0 ${issueId === undefined ? sql`` : sql`and i.id = ${issueId}`}
    order by i.id
  `.execute(db);
  return rows;
}

/** Deliveries waiting for their reader's morning: queued for later, never tried yet. */
export async function countScheduledDeliveries(db: Db, issueId: number): Promise<number> {
  const row = await db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('issue_id', '=', issueId)
    .where(inIssueMonth(issueId))
    .where('status', '=', 'queued')
    .where('attempts', '=', 0)
    .where('last_error', 'is', null)
    .where('next_attempt_at', '>', sql<Date>`now()`)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** The earliest retry still waiting for an issue, if any. */
export async function nextDeliveryAttempt(db: Db, issueId: number): Promise<Date | undefined> {
  const row = await db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.min('next_attempt_at').as('next'))
    .where('issue_id', '=', issueId)
    .where(inIssueMonth(issueId))
    .where('status', '=', 'queued')
    .executeTakeFirst();
  return row?.next ? new Date(row.next as Date) : undefined;
}

export type DeliveryCounts = Record<DeliveryStatus, number>;

export async function countDeliveriesByStatus(db: Db, issueId: number): Promise<DeliveryCounts> {
  const rows = await db
    .selectFrom('deliveries')
    .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
    .where('issue_id', '=', issueId)
    .where(inIssueMonth(issueId))
    .groupBy('status')
    .execute();
  const counts = emptyCounts();
  for (const row of rows) counts[row.status] = Number(row.count);
  return counts;
}

export function emptyCounts(): DeliveryCounts {
  return { queued: 0, sending: 0, sent: 0, failed: 0, bounced: 0, skipped: 0 };
}

/** Which deliveries a resend puts back: one of these, never "everyone" by default. */
export type ResendSelection =
  | { mode: 'failed' }
  | { mode: 'missing' }
  | { mode: 'all' }
  | { mode: 'subscribers'; subscriberIds: number[] };

/**
 * Queues a resend of the issue and returns the ids of the deliveries it queued (the issue's month
 * needs its partition: ensureDeliveryPartitions).
 * - `failed`: failed deliveries go back in the queue;
 * - `missing`: every active subscriber of the cadence who has not received it: their failed,
 *   bounced or skipped delivery goes back in the queue, and one is created for any who had none;
 * - `all` / `subscribers`: the same, and a subscriber who already received it gets a new
 *   delivery beside the first (a resend is recorded, never overwrites the first send).
 * Deliveries still queued or in flight are left alone: they are about to be sent anyway.
 */
export async function queueResend(
  db: Db,
  issue: Pick<Issue, 'id' | 'cadence' | 'issue_date'>,
  selection: ResendSelection,
): Promise<number[]> {
  const audience = db
    .selectFrom('subscribers')
    .select('id')
    .where('status', '=', 'active')
    .$if(selection.mode === 'subscribers', (qb) =>
      qb.where('id', 'in', selection.mode === 'subscribers' ? selection.subscriberIds : []),
    )
    .$if(selection.mode !== 'subscribers', (qb) => qb.where('cadence', '=', issue.cadence));
  if (selection.mode === 'subscribers' && selection.subscriberIds.length === 0) return [];

  const requeued = await db
    .updateTable('deliveries')
    .set({
      status: 'queued',
      lease_owner: null,
      lease_expires_at: null,
      last_error: null,
      queued_at: sql<Date>`now()`,
      next_attempt_at: sql<Date>`now()`,
      updated_at: sql<Date>`now()`,
    })
    .where('issue_id', '=', issue.id)
    .where('issue_date', '=', issue.issue_date)
    .where('status', 'in', selection.mode === 'failed' ? ['failed'] : ['failed', 'bounced', 'skipped'])
    .where('subscriber_id', 'in', audience)
    // Only the latest row of a subscriber is put back: an older failed one stays as it was.
    .where(latestOfSubscriber(issue, 'deliveries'))
    // Missing: not someone an earlier row of theirs reached (a failed resend after a first send).
    .$if(selection.mode === 'missing', (qb) => qb.where(notReached(issue, 'deliveries')))
    .returning('id')
    .execute();
  if (selection.mode === 'failed') return requeued.map((row) => row.id);

  // Subscribers without any delivery of the issue: the first one, created now.
  const created = await db
    .insertInto('deliveries')
    .columns(['issue_id', 'issue_date', 'subscriber_id'])
    .expression((eb) =>
      audience
        .clearSelect()
        .select([eb.val(issue.id).as('issue_id'), issueDate(issue), 'subscribers.id'])
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('deliveries as d')
                .select('d.id')
                .where('d.issue_id', '=', issue.id)
                .where('d.issue_date', '=', issue.issue_date)
                .whereRef('d.subscriber_id', '=', 'subscribers.id'),
            ),
          ),
        ),
    )
    .onConflict((conflict) =>
      conflict.columns(['issue_id', 'subscriber_id', 'issue_date']).where('resend', '=', false).doNothing(),
    )
    .returning('id')
    .execute();

  // Subscribers whose latest delivery was sent: a recorded resend, only when asked for them all or by name.
  const resent =
    selection.mode === 'missing'
      ? []
      : await db
          .insertInto('deliveries')
          .columns(['issue_id', 'issue_date', 'subscriber_id', 'resend'])
          .expression((eb) =>
            db
              .selectFrom('deliveries as d')
              .select([
                eb.val(issue.id).as('issue_id'),
                issueDate(issue),
                'd.subscriber_id',
                eb.val(true).as('resend'),
              ])
              .where('d.issue_id', '=', issue.id)
              .where('d.issue_date', '=', issue.issue_date)
              .where('d.status', '=', 'sent')
              .where('d.subscriber_id', 'in', audience)
              .where(latestOfSubscriber(issue, 'd')),
          )
          .returning('id')
          .execute();
  return [...requeued, ...created, ...resent].map((row) => row.id);
}

/** The issue's date as the value of a new delivery's `issue_date`. */
const issueDate = (issue: Pick<Issue, 'issue_date'>) =>
  sql<string>`${issue.issue_date}::date`.as('issue_date');

type IssueRef = Pick<Issue, 'id' | 'issue_date'>;

/** The row `table` is its subscriber's latest delivery of the issue (a resend is newer than the first). */
function latestOfSubscriber(issue: IssueRef, table: string) {
  return sql<boolean>`not exists (
    select 1 from deliveries later
    where later.issue_id = ${issue.id} and later.issue_date = ${issue.issue_date}::date
      and later.subscriber_id = ${sql.ref(table)}.subscriber_id
      and later.id > ${sql.ref(table)}.id)`;
}

/** No delivery of the issue reached the subscriber of row `table`. */
function notReached(issue: IssueRef, table: string) {
  return sql<boolean>`not exists (
    select 1 from deliveries got
    where got.issue_id = ${issue.id} and got.issue_date = ${issue.issue_date}::date
      and got.subscriber_id = ${sql.ref(table)}.subscriber_id and got.status = 'sent')`;
}

/** Why a delivery of a cancelled issue was skipped. */
const CANCELLED = 'issue cancelled';

/** Cancelling an issue: what was still waiting is skipped; returns how many. */
export async function skipQueuedDeliveries(db: Db, issueId: number): Promise<number> {
  const result = await db
    .updateTable('deliveries')
    .set({ status: 'skipped', last_error: CANCELLED, updated_at: sql<Date>`now()` })
    .where('issue_id', '=', issueId)
    .where(inIssueMonth(issueId))
    .where('status', '=', 'queued')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Deliveries still queued of a cancelled issue built in the last two months become skipped;
 * returns how many. An outcome written in the instant a cancel committed can still leave one
 * queued, and nothing claims a cancelled issue's rows: the reconciler's pass sweeps them. The
 * bound keeps the pass to a handful of issues (none, most passes: nothing is then read); an older
 * leftover is skipped by a resend of its issue before anything is sent (resendIssue).
 */
export async function skipQueuedOfCancelledIssues(db: Db): Promise<number> {
  const result = await sql`
    update deliveries d
    set status = 'skipped', last_error = ${CANCELLED}, updated_at = now()
    from issues i
    where i.status = 'cancelled' and d.issue_id = i.id and d.issue_date = i.issue_date
      and d.status = 'queued'
      and i.created_at > now() - interval '2 months'
  `.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export interface DeliveryListing {
  id: number;
  email: string;
  status: DeliveryStatus;
  attempts: number;
  resend: boolean;
  lastError: string | null;
  smtpMessageId: string | null;
  nextAttemptAt: Date;
  sentAt: Date | null;
}

/** Who was sent what: one line per delivery of the issue, a page at a time in address order. */
export async function listDeliveries(
  db: Db,
  issueId: number,
  page: { limit: number; offset: number },
): Promise<DeliveryListing[]> {
  return deliveryListing(db, issueId).orderBy('s.email').limit(page.limit).offset(page.offset).execute();
}

function deliveryListing(db: Db, issueId: number) {
  return db
    .selectFrom('deliveries as d')
    .innerJoin('subscribers as s', 's.id', 'd.subscriber_id')
    .select([
      'd.id as id',
      's.email as email',
      'd.status as status',
      'd.attempts as attempts',
      'd.resend as resend',
      'd.last_error as lastError',
      'd.smtp_message_id as smtpMessageId',
      'd.next_attempt_at as nextAttemptAt',
      'd.sent_at as sentAt',
    ])
    .where('d.issue_id', '=', issueId)
    .where(inIssueMonth(issueId, 'd'));
}

export interface DeliverySearch {
  status?: DeliveryStatus;
  /** Addresses starting with this, case-insensitively. */
  emailPrefix?: string;
  /** Keyset cursor from the previous page (address and id: a resend is a second row of one address). */
  after?: string;
  limit: number;
}

/** One page of the issue's deliveries in address order, filtered by status and address prefix. */
export async function searchDeliveries(
  db: Db,
  issueId: number,
  query: DeliverySearch,
): Promise<Page<DeliveryListing>> {
  let select = deliveryListing(db, issueId)
    .orderBy(sql`lower(s.email)`)
    .orderBy('d.id')
    .limit(query.limit + 1);
  if (query.status) select = select.where('d.status', '=', query.status);
  if (query.emailPrefix) {
    select = select.where(
      sql<string>`lower(s.email)`,
      'like',
      prefixPattern(query.emailPrefix.toLowerCase()),
    );
  }
  if (query.after !== undefined) {
    // Addresses hold no spaces: the id follows the last one.
    const split = query.after.lastIndexOf(' ');
    const email = split < 0 ? query.after : query.after.slice(0, split);
    const id = split < 0 ? 0 : Number(query.after.slice(split + 1)) || 0;
    select = select.where(sql<boolean>`(lower(s.email), d.id) > (${email}, ${id})`);
  }
  return toPage(await select.execute(), query.limit, (row) => `${row.email.toLowerCase()} ${row.id}`);
}

export interface FailureGroup {
  status: Extract<DeliveryStatus, 'failed' | 'bounced'> | 'retrying';
  reason: string;
  count: number;
}

/**
 * Why the issue's deliveries failed, bounced, or wait for a retry, grouped by their last error,
 * most frequent first.
 */
export async function countFailuresByReason(db: Db, issueId: number): Promise<FailureGroup[]> {
  const { rows } = await sql<FailureGroup>`
    select case when status = 'queued' then 'retrying' else status end as status,
           coalesce(last_error, 'no reason recorded') as reason, count(*)::int as count
    from deliveries
    where issue_id = ${issueId} and ${inIssueMonth(issueId)}
      and (status in ('failed', 'bounced') or (status = 'queued' and last_error is not null))
    group by 1, 2
    order by count desc, reason
  `.execute(db);
  return rows;
}

/** Counts by status of several issues at once (issues without deliveries are absent). */
export async function countDeliveriesByIssue(
  db: Db,
  issueIds: number[],
): Promise<Map<number, DeliveryCounts>> {
  const counts = new Map<number, DeliveryCounts>();
  if (issueIds.length === 0) return counts;
  const rows = await db
    .selectFrom('deliveries')
    .select(['issue_id', 'status', (eb) => eb.fn.countAll<number>().as('count')])
    .where('issue_id', 'in', issueIds)
    .groupBy(['issue_id', 'status'])
    .execute();
  for (const row of rows) {
    const issue = counts.get(row.issue_id) ?? emptyCounts();
    issue[row.status] = Number(row.count);
    counts.set(row.issue_id, issue);
  }
  return counts;
}

export interface SubscriberDelivery {
  cadence: Cadence;
  issueDate: string;
  subject: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  sentAt: Date | null;
}

/** What one subscriber was sent, newest issue first. */
export async function listSubscriberDeliveries(
  db: Db,
  subscriberId: number,
  limit: number,
): Promise<SubscriberDelivery[]> {
  return db
    .selectFrom('deliveries as d')
    .innerJoin('issues as i', 'i.id', 'd.issue_id')
    .select([
      'i.cadence as cadence',
      'i.issue_date as issueDate',
      'i.subject as subject',
      'd.status as status',
      'd.attempts as attempts',
      'd.last_error as lastError',
      'd.sent_at as sentAt',
    ])
    .where('d.subscriber_id', '=', subscriberId)
    .orderBy('i.issue_date', 'desc')
    .orderBy('i.cadence')
    .limit(limit)
    .execute();
}
