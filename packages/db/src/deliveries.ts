import { sql } from 'kysely';
import type { Db } from './client.ts';
import type { Cadence, DeliveryStatus } from './schema.ts';
import { type Page, prefixPattern, toPage } from './search.ts';

/** Queues one delivery for every active, unpaused subscriber of the cadence; returns how many. */
export async function queueDeliveriesForAudience(db: Db, issueId: number, cadence: Cadence): Promise<number> {
  const result = await db
    .insertInto('deliveries')
    .columns(['issue_id', 'subscriber_id'])
    .expression((eb) =>
      eb
        .selectFrom('subscribers')
        .select([eb.val(issueId).as('issue_id'), 'id'])
        .where('status', '=', 'active')
        .where('cadence', '=', cadence)
        .where('paused_at', 'is', null),
    )
    .onConflict((conflict) => conflict.columns(['issue_id', 'subscriber_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n);
}

/**
 * A claim older than this belongs to a send job that is gone (its attempts used up, or Redis
 * lost): far longer than any batch takes, including its retries' backoff.
 */
const STALE_CLAIM = sql<Date>`now() - interval '30 minutes'`;

/**
 * One page, after `afterId` in id order, of the issue's deliveries that no live send job owns:
 * queued and unclaimed, or claimed by a job that is gone. Keyset pagination keeps memory flat.
 */
export async function pageUnclaimedDeliveryIds(
  db: Db,
  issueId: number,
  afterId: number,
  pageSize: number,
): Promise<number[]> {
  const rows = await db
    .selectFrom('deliveries')
    .select('id')
    .where('issue_id', '=', issueId)
    .where('status', 'in', ['queued', 'sending'])
    .where((eb) => eb.or([eb('claimed_by', 'is', null), eb('updated_at', '<', STALE_CLAIM)]))
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(pageSize)
    .execute();
  return rows.map((row) => row.id);
}

export interface ClaimedDelivery {
  id: number;
  subscriberId: number;
  email: string;
  /** The subscriber's preferences as they are at send time. */
  keywords: string[];
  papersPerEmail: number | null;
}

/**
 * Claims for `owner` (a send job) the batch's deliveries that are queued or in flight and owned
 * by no one, by `owner` itself (its own retry, or a rerun after its worker died) or by a job that
 * is gone. Other jobs' rows are left alone, so two jobs never send one delivery. Rows of
 * subscribers who are no longer active are marked skipped instead. One statement.
 */
export async function claimDeliveries(
  db: Db,
  issueId: number,
  ids: number[],
  owner: string,
): Promise<ClaimedDelivery[]> {
  const { rows } = await sql<{
    id: number;
    subscriber_id: number;
    email: string;
    keywords: string[];
    papers_per_email: number | null;
    status: DeliveryStatus;
  }>`
    with target as (
      select d.id, s.email, s.keywords, s.papers_per_email,
             (s.status = 'active' and s.paused_at is null) as deliverable
      from deliveries d
      join subscribers s on s.id = d.subscriber_id
      where d.issue_id = ${issueId}
        and d.id = any(${ids}::bigint[])
        and d.status in ('queued', 'sending')
        and (d.claimed_by is null or d.claimed_by = ${owner} or d.updated_at < ${STALE_CLAIM})
      for update of d skip locked
    )
    update deliveries d
    set status = case when t.deliverable then 'sending' else 'skipped' end,
        claimed_by = ${owner},
        attempts = d.attempts + case when t.deliverable then 1 else 0 end,
        last_error = case when t.deliverable then d.last_error else 'subscriber is no longer active' end,
        updated_at = now()
    from target t
    where d.id = t.id
    returning d.id, d.subscriber_id, t.email, t.keywords, t.papers_per_email, d.status
  `.execute(db);
  return rows
    .filter((row) => row.status === 'sending')
    .map((row) => ({
      id: row.id,
      subscriberId: row.subscriber_id,
      email: row.email,
      keywords: row.keywords,
      papersPerEmail: row.papers_per_email,
    }));
}

export interface DeliveryResult {
  id: number;
  status: Extract<DeliveryStatus, 'sent' | 'failed' | 'queued'>;
  smtpMessageId?: string;
  error?: string;
}

/**
 * Records a batch of outcomes in one statement; only rows `owner` still holds in flight are
 * touched. A deferred delivery (`queued`) stays with its job, which retries it after backoff.
 */
export async function recordDeliveryResults(db: Db, owner: string, results: DeliveryResult[]): Promise<void> {
  if (results.length === 0) return;
  await sql`
    update deliveries d
    set status = v.status,
        smtp_message_id = coalesce(v.message_id, d.smtp_message_id),
        last_error = v.error,
        sent_at = case when v.status = 'sent' then now() else d.sent_at end,
        updated_at = now()
    from unnest(
      ${results.map((r) => r.id)}::bigint[],
      ${results.map((r) => r.status)}::text[],
      ${results.map((r) => r.smtpMessageId ?? null)}::text[],
      ${results.map((r) => r.error ?? null)}::text[]
    ) as v(id, status, message_id, error)
    where d.id = v.id and d.status = 'sending' and d.claimed_by = ${owner}
  `.execute(db);
}

export type DeliveryCounts = Record<DeliveryStatus, number>;

export async function countDeliveriesByStatus(db: Db, issueId: number): Promise<DeliveryCounts> {
  const rows = await db
    .selectFrom('deliveries')
    .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
    .where('issue_id', '=', issueId)
    .groupBy('status')
    .execute();
  const counts = emptyCounts();
  for (const row of rows) counts[row.status] = Number(row.count);
  return counts;
}

export function emptyCounts(): DeliveryCounts {
  return { queued: 0, sending: 0, sent: 0, failed: 0, bounced: 0, skipped: 0 };
}

export interface RequeueSelection {
  /** Only deliveries that failed. */
  failedOnly?: boolean;
  /** Only these subscribers; a delivery row is created for any who had none. */
  subscriberIds?: number[];
}

/**
 * Puts finished deliveries of active subscribers back in the queue for a resend and returns their
 * ids. Rows still queued or in flight are left alone: they are about to be sent anyway.
 */
export async function requeueDeliveries(
  db: Db,
  issueId: number,
  selection: RequeueSelection,
): Promise<number[]> {
  if (selection.subscriberIds?.length === 0) return [];
  const created = selection.subscriberIds
    ? await db
        .insertInto('deliveries')
        .values(
          selection.subscriberIds.map((subscriberId) => ({ issue_id: issueId, subscriber_id: subscriberId })),
        )
        .onConflict((conflict) => conflict.columns(['issue_id', 'subscriber_id']).doNothing())
        .returning('id')
        .execute()
    : [];
  let update = db
    .updateTable('deliveries')
    .set({ status: 'queued', claimed_by: null, queued_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
    .where('issue_id', '=', issueId)
    .where('status', 'in', selection.failedOnly ? ['failed'] : ['sent', 'failed', 'bounced', 'skipped'])
    // The record of what someone who has left was sent stays as it is.
    .where('subscriber_id', 'in', (eb) =>
      eb.selectFrom('subscribers').select('id').where('status', '=', 'active'),
    );
  if (selection.subscriberIds) update = update.where('subscriber_id', 'in', selection.subscriberIds);
  const requeued = await update.returning('id').execute();
  return [...created, ...requeued].map((row) => row.id);
}

export interface DeliveryListing {
  id: number;
  email: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  smtpMessageId: string | null;
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
      'd.last_error as lastError',
      'd.smtp_message_id as smtpMessageId',
      'd.sent_at as sentAt',
    ])
    .where('d.issue_id', '=', issueId);
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
  status: Extract<DeliveryStatus, 'failed' | 'bounced'>;
  reason: string;
  count: number;
}

/** The issue's failed and bounced deliveries grouped by their last error, most frequent first. */
export async function countFailuresByReason(db: Db, issueId: number): Promise<FailureGroup[]> {
  const rows = await db
    .selectFrom('deliveries')
    .select([
      'status',
      (eb) => eb.fn.coalesce('last_error', eb.val('no reason recorded')).as('reason'),
      (eb) => eb.fn.countAll<number>().as('count'),
    ])
    .where('issue_id', '=', issueId)
    .where('status', 'in', ['failed', 'bounced'])
    .groupBy(['status', 'last_error'])
    .orderBy('count', 'desc')
    .orderBy('reason')
    .execute();
  return rows.map((row) => ({
    status: row.status as FailureGroup['status'],
    reason: row.reason,
    count: Number(row.count),
  }));
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
