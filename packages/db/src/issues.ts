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

/** Marks the issue sent once no delivery is waiting or in flight; returns whether it did. */
export async function completeIssueIfDone(db: Db, issueId: number): Promise<boolean> {
  const result = await db
    .updateTable('issues')
    .set({ status: 'sent', completed_at: sql<Date>`now()` })
    .where('id', '=', issueId)
    .where('status', '=', 'sending')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('deliveries')
            .select('id')
            .where('issue_id', '=', issueId)
            .where('status', 'in', ['queued', 'sending']),
        ),
      ),
    )
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Reopens a sent issue for a resend, so it completes again when the resend is done. */
export async function reopenIssue(db: Db, issueId: number): Promise<void> {
  await db
    .updateTable('issues')
    .set({ status: 'sending', completed_at: null })
    .where('id', '=', issueId)
    .where('status', '=', 'sent')
    .execute();
}

/** How many issues of `cadence` went out before `issueDate`: the issue number is one more. */
export async function countIssuesBefore(db: Db, cadence: Cadence, issueDate: string): Promise<number> {
  const { count } = await db
    .selectFrom('issues')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('cadence', '=', cadence)
    .where('issue_date', '<', issueDate)
    .where('status', '!=', 'skipped')
    .executeTakeFirstOrThrow();
  return Number(count);
}

export type IssueSummary = Pick<Issue, 'id' | 'cadence' | 'issue_date' | 'subject' | 'status' | 'created_at'>;

/** Issues that went out, newest first: what the public archive lists. */
export async function listPublishedIssues(db: Db, limit: number): Promise<IssueSummary[]> {
  return newestIssues(db, limit).where('status', 'in', ['sending', 'sent']).execute();
}

/** Every issue, built or skipped, newest first: what the admin console lists. */
export async function listRecentIssues(db: Db, limit: number): Promise<IssueSummary[]> {
  return newestIssues(db, limit).execute();
}

function newestIssues(db: Db, limit: number) {
  return db
    .selectFrom('issues')
    .select(['id', 'cadence', 'issue_date', 'subject', 'status', 'created_at'])
    .orderBy('issue_date', 'desc')
    .orderBy('cadence', 'asc')
    .limit(limit);
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
