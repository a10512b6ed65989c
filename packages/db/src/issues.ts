import { sql } from 'kysely';
import type { Db } from './client.ts';
import type { Cadence, Issue, IssuePaper, IssueStatus } from './schema.ts';

export async function findIssue(db: Db, cadence: Cadence, issueDate: string): Promise<Issue | undefined> {
  return db
    .selectFrom('issues')
    .selectAll()
    .where('cadence', '=', cadence)
    .where('issue_date', '=', issueDate)
    .executeTakeFirst();
}

export async function findIssueById(db: Db, id: number): Promise<Issue | undefined> {
  return db.selectFrom('issues').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface NewIssue {
  cadence: Cadence;
  issueDate: string;
  status: IssueStatus;
  subject: string;
  papers: IssuePaper[];
  morePapers: IssuePaper[];
  html: string;
  text: string;
  slotNonce: string | null;
}

/**
 * Inserts the issue unless one exists for (cadence, date) already; returns the stored issue and
 * whether this call wrote it. An issue recorded as skipped (no papers then) is replaced, so papers
 * imported later can still go out; a built issue is never rewritten. Concurrent builders agree on one row.
 */
export async function insertIssueOnce(db: Db, issue: NewIssue): Promise<{ issue: Issue; created: boolean }> {
  const values = {
    cadence: issue.cadence,
    issue_date: issue.issueDate,
    status: issue.status,
    subject: issue.subject,
    papers: JSON.stringify(issue.papers),
    more_papers: JSON.stringify(issue.morePapers),
    html: issue.html,
    text: issue.text,
    slot_nonce: issue.slotNonce,
    completed_at: issue.status === 'skipped' ? sql<Date>`now()` : null,
  };
  const written = await db
    .insertInto('issues')
    .values(values)
    .onConflict((conflict) =>
      conflict.columns(['cadence', 'issue_date']).doUpdateSet(values).where('issues.status', '=', 'skipped'),
    )
    .returningAll()
    .executeTakeFirst();
  if (written) return { issue: written, created: true };
  const existing = await findIssue(db, issue.cadence, issue.issueDate);
  if (!existing) throw new Error(`issue ${issue.cadence} ${issue.issueDate} vanished while being built`);
  return { issue: existing, created: false };
}

/** Stores the rendered mail of an issue being built (insertIssueOnce stored it without). */
export async function setIssueMail(
  db: Db,
  id: number,
  mail: Pick<NewIssue, 'subject' | 'html' | 'text' | 'slotNonce'> & { issueNumber: number | undefined },
): Promise<Issue> {
  return db
    .updateTable('issues')
    .set({
      subject: mail.subject,
      html: mail.html,
      text: mail.text,
      slot_nonce: mail.slotNonce,
      issue_number: mail.issueNumber ?? null,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The deliveries of the `issues` row being updated, by status, as settled_counts holds them. */
const settledCounts = sql<string>`(
  select coalesce(jsonb_object_agg(c.status, c.count), '{}')
  from (
    select d.status, count(*) as count from deliveries d
    where d.issue_id = issues.id and d.issue_date = issues.issue_date
    group by d.status
  ) c
)`;

/** Marks the issue sent once no delivery is waiting or in flight; returns whether it did. */
export async function completeIssueIfDone(db: Db, issueId: number): Promise<boolean> {
  const result = await db
    .updateTable('issues')
    // Counted by the statement that finds nothing left to send: the counts of the issue as sent.
    .set({ status: 'sent', completed_at: sql<Date>`now()`, settled_counts: settledCounts })
    .where('id', '=', issueId)
    .where('status', '=', 'sending')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('deliveries')
            .select('id')
            .where('issue_id', '=', issueId)
            // The issue's own month of the ledger only (its partition key).
            .whereRef('deliveries.issue_date', '=', 'issues.issue_date')
            .where('status', 'in', ['queued', 'sending']),
        ),
      ),
    )
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Moves the issue to `to` if it is in one of `from`; returns whether it did. Guarded, so two
 * operators (or an operator and the last batch) never both win.
 */
export async function transitionIssue(
  db: Db,
  issueId: number,
  from: IssueStatus[],
  to: IssueStatus,
): Promise<boolean> {
  const result = await db
    .updateTable('issues')
    .set({
      status: to,
      completed_at: to === 'sending' || to === 'paused' ? null : sql<Date>`now()`,
      // Kept only while it is sent (listIssueOverviews).
      settled_counts: null,
    })
    .where('id', '=', issueId)
    .where('status', 'in', from)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Serialises numbering issues across processes: with the cadence, one lock per cadence. */
const ISSUE_NUMBER_LOCK = 0x6973736e; // 'issn'

/**
 * The number the issue being built in the transaction `trx` takes: the next of `cadence`'s,
 * held for it until `trx` ends, so no concurrent build of the cadence reads the same one.
 */
export async function takeIssueNumber(trx: Db, cadence: Cadence): Promise<number> {
  await sql`select pg_advisory_xact_lock(${ISSUE_NUMBER_LOCK}, hashtext(${cadence}))`.execute(trx);
  return nextIssueNumber(trx, cadence);
}

/**
 * The number the next issue of `cadence` would get: one past the highest given, or past how many were
 * built, for issues from before they were numbered. Issues are numbered as they are built, so one
 * built late for an earlier date (a skipped day filled in) gets a new number, never another's.
 */
export async function nextIssueNumber(db: Db, cadence: Cadence): Promise<number> {
  const { highest, built } = await db
    .selectFrom('issues')
    .select([
      sql<number>`coalesce(max(issue_number), 0)`.as('highest'),
      sql<number>`count(*) filter (where status <> 'skipped')`.as('built'),
    ])
    .where('cadence', '=', cadence)
    .executeTakeFirstOrThrow();
  return Math.max(Number(highest), Number(built)) + 1;
}

export type IssueSummary = Pick<Issue, 'id' | 'cadence' | 'issue_date' | 'subject' | 'status' | 'created_at'>;

/** Every issue, built or skipped, newest first: what the admin console lists, with kept counts. */
export async function listRecentIssues(
  db: Db,
  limit: number,
): Promise<(IssueSummary & Pick<Issue, 'settled_counts'>)[]> {
  return db
    .selectFrom('issues')
    .select(['id', 'cadence', 'issue_date', 'subject', 'status', 'created_at', 'settled_counts'])
    .orderBy('issue_date', 'desc')
    .orderBy('cadence', 'asc')
    .limit(limit)
    .execute();
}

/** The newest issue of `cadence` that went out. */
export async function latestIssue(db: Db, cadence: Cadence): Promise<Issue | undefined> {
  return db
    .selectFrom('issues')
    .selectAll()
    .where('cadence', '=', cadence)
    .where('status', 'in', ['sending', 'sent'])
    .orderBy('issue_date', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Issues still being sent: what a recovery pass looks at. */
export async function listIssuesInProgress(db: Db): Promise<Issue[]> {
  return db.selectFrom('issues').selectAll().where('status', '=', 'sending').orderBy('id').execute();
}

export interface ArchiveEntry {
  cadence: Cadence;
  issue_date: string;
  subject: string;
  created_at: Date;
  /** The issue's papers in rank order (the first `papersEach` of them). */
  papers: IssuePaper[];
}

/** A page of the public archive, newest first, each issue with its top papers. */
export async function listArchive(
  db: Db,
  query: { limit: number; offset: number; papersEach: number },
): Promise<ArchiveEntry[]> {
  return db
    .selectFrom('issues')
    .select([
      'cadence',
      'issue_date',
      'subject',
      'created_at',
      sql<IssuePaper[]>`jsonb_path_query_array(papers, ${`$[0 to ${query.papersEach - 1}]`}::jsonpath)`.as(
        'papers',
      ),
    ])
    .where('status', 'in', ['sending', 'sent'])
    .orderBy('issue_date', 'desc')
    .orderBy('cadence', 'asc')
    .limit(query.limit)
    .offset(query.offset)
    .execute();
}

export interface ArchiveHit {
  cadence: Cadence;
  issue_date: string;
  paper: IssuePaper;
}

/** Of each paper's text, what search reads: more than the import lets a paper carry (about 56,000). */
const SEARCHED_CHARACTERS = 60_000;

/**
 * Postgres full-text search over the papers of published issues (title, summary, AI summary and
 * keywords), best match first; `websearch_to_tsquery` takes what people type ("a b", -c, "x y").
 */
export async function searchArchive(db: Db, text: string, limit: number): Promise<ArchiveHit[]> {
  // Bounded (the import bounds each field; issues imported before kept theirs): a tsvector holds
  // at most 1 MB, and one paper past it would fail every search.
  const document = sql`to_tsvector('english', left(coalesce(p.paper->>'title', '') || ' ' || coalesce(p.paper->>'summary', '') || ' ' || coalesce(p.paper->>'aiSummary', '') || ' ' || coalesce(p.paper->'aiKeywords', '[]'::jsonb)::text, ${SEARCHED_CHARACTERS}))`;
  const query = sql`websearch_to_tsquery('english', ${text})`;
  const { rows } = await sql<ArchiveHit>`
    select i.cadence, to_char(i.issue_date, 'YYYY-MM-DD') as issue_date, p.paper
    from issues i, jsonb_array_elements(i.papers) as p(paper)
    where i.status in ('sending', 'sent') and ${document} @@ ${query}
    order by ts_rank(${document}, ${query}) desc, i.issue_date desc
    limit ${limit}`.execute(db);
  return rows;
}

/** The published issues of `cadence` just before and after `issueDate`, for navigation. */
export async function neighbourIssues(
  db: Db,
  cadence: Cadence,
  issueDate: string,
): Promise<{ previous: string | undefined; next: string | undefined }> {
  const published = db
    .selectFrom('issues')
    .select('issue_date')
    .where('cadence', '=', cadence)
    .where('status', 'in', ['sending', 'sent']);
  const [previous, next] = await Promise.all([
    published.where('issue_date', '<', issueDate).orderBy('issue_date', 'desc').limit(1).executeTakeFirst(),
    published.where('issue_date', '>', issueDate).orderBy('issue_date', 'asc').limit(1).executeTakeFirst(),
  ]);
  return { previous: previous?.issue_date, next: next?.issue_date };
}

/**
 * The papers published in the cadence's issues of the `days` before `issueDate`: what its readers
 * already received, so a paper featured again is not sent to them twice.
 */
export async function recentlyPublishedPaperIds(
  db: Db,
  cadence: Cadence,
  issueDate: string,
  days = 60,
): Promise<Set<string>> {
  const { rows } = await sql<{ id: string }>`
    select distinct paper ->> 'externalId' as id
    from issues, jsonb_array_elements(issues.papers) as paper
    where cadence = ${cadence}
      and issue_date < ${issueDate}::date
      and issue_date >= ${issueDate}::date - ${days}::int
      and status <> 'skipped'
  `.execute(db);
  return new Set(rows.map((row) => row.id));
}

/**
 * Counts the deliveries of one sent issue that has none kept (one sent before counts were kept),
 * the newest first, for the issue list; returns its id, or undefined when every one has them.
 * Several workers at once each take a different issue.
 */
export async function keepSettledCounts(db: Db): Promise<number | undefined> {
  const kept = await db
    .updateTable('issues')
    .set({ settled_counts: settledCounts })
    .where('id', '=', (eb) =>
      eb
        .selectFrom('issues')
        .select('id')
        .where('status', '=', 'sent')
        .where('settled_counts', 'is', null)
        .orderBy('issue_date', 'desc')
        .limit(1)
        .forUpdate()
        .skipLocked(),
    )
    // Completed again meanwhile: that completion counted it.
    .where('settled_counts', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return kept?.id;
}

/**
 * Finished issues that have deliveries waiting again (a resend that raced the last batch's
 * completion) go back to sending; returns their ids.
 */
export async function reopenIssuesWithWork(db: Db): Promise<number[]> {
  const rows = await db
    .updateTable('issues')
    .set({ status: 'sending', completed_at: null, settled_counts: null })
    .where('status', '=', 'sent')
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('deliveries')
          .select('deliveries.id')
          .whereRef('deliveries.issue_id', '=', 'issues.id')
          .whereRef('deliveries.issue_date', '=', 'issues.issue_date')
          .where('deliveries.status', 'in', ['queued', 'sending']),
      ),
    )
    .returning('id')
    .execute();
  return rows.map((row) => row.id);
}
