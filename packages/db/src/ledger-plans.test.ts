import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { eventually } from '../../../test/support/processes.ts';
import { createDb, type Db } from './client.ts';
import { type DeliveryResult, recordDeliveryResults } from './deliveries.ts';
import { insertIssueOnce } from './issues.ts';
import { ensureDeliveryPartitions, partitionName, refreshMonthStatistics } from './partitions.ts';

/** A month of its own, far from those the migration made: its partition starts empty. */
const ISSUE_DATE = '2031-03-10';
const PARTITION = partitionName('2031-03-01');
const READERS = 20_000;

let database: TestDatabase;
/** As the worker's ledger connections are: one here, so every statement meets the same plans. */
let ledger: Db;

beforeEach(async () => {
  database = await createTestDatabase();
  ledger = createDb(database.url, { max: 1, genericPlans: true });
  await ensureDeliveryPartitions(database.db, [ISSUE_DATE]);
  await sql`
    insert into subscribers (email, status, cadence, consent_source)
    select 'reader-' || g || '@example.org', 'active', 'daily', 'import' from generate_series(1, ${READERS}) g
  `.execute(database.db);
});

afterEach(async () => {
  await ledger.destroy();
  await database.drop();
});

interface Activity {
  pages: number;
  inserted: number;
  updated: number;
  analyzed: number;
}

/** What Postgres has counted on the partition: heap pages its scans touched, rows written, analyzes. */
async function partitionActivity(): Promise<Activity> {
  const { rows } = await sql<Activity>`
    select (io.heap_blks_hit + io.heap_blks_read)::int as pages, t.n_tup_ins::int as inserted,
      t.n_tup_upd::int as updated, t.analyze_count::int as analyzed
    from pg_statio_user_tables io join pg_stat_user_tables t using (relid)
    where io.relname = ${PARTITION}
  `.execute(database.db);
  return rows[0] as Activity;
}

/** Has the connection's counts reported as its statement ends, not up to 10 s later. */
async function reportStatistics(connection: Db): Promise<void> {
  await sql`select pg_stat_force_next_flush()`.execute(connection);
}

/** The partition's counters once Postgres has counted `done` in them (it reports them late). */
function counted(done: (activity: Activity) => boolean) {
  return eventually(async () => {
    const activity = await partitionActivity();
    return done(activity) ? activity : undefined;
  });
}

/**
 * Plans both ledger statements on the empty month (as `analyzed`, or never analyzed), fills it
 * with READERS deliveries as a fan-out does (then `afterFill`, as the build does next), records
 * three outcomes, and returns the heap pages those writes touched.
 */
async function pagesOfWritesAfterFill(
  analyzed: boolean,
  afterFill: (connection: Db) => Promise<boolean> = async () => false,
): Promise<number> {
  const { issue } = await insertIssueOnce(database.db, {
    cadence: 'daily',
    issueDate: ISSUE_DATE,
    status: 'sending',
    subject: 'Issue',
    papers: [],
    morePapers: [],
    html: '<p>hi</p>',
    text: 'hi',
    slotNonce: null,
  });
  // Nothing else reads the partition meanwhile (set before any plan: it would replan them).
  await sql`alter table ${sql.id(PARTITION)} set (autovacuum_enabled = off)`.execute(database.db);
  // A database-wide ANALYZE (or vacuumdb) reaching next month's partition while it is empty.
  if (analyzed) await sql`analyze ${sql.id(PARTITION)}`.execute(database.db);
  const record = (results: DeliveryResult[]) => recordDeliveryResults(ledger, issue, 'run-1', results);
  // Both statements planned now, with nothing in the month's partition (a new month's first issue
  // on a connection already open): a generic plan is kept until something invalidates it.
  await record([{ id: 0, outcome: 'sent', smtpMessageId: '<0@example.org>' }]);
  await record([{ id: 0, outcome: 'hard_bounce', error: '550 no such user' }]);

  const rows = await database.db.connection().execute(async (connection) => {
    const filled = await sql<{ id: number }>`
      insert into deliveries (issue_id, issue_date, subscriber_id, status, lease_owner, lease_expires_at)
      select ${issue.id}, ${ISSUE_DATE}::date, id, 'sending', 'run-1', now() + interval '1 minute'
      from subscribers
      returning id
    `.execute(connection);
    await reportStatistics(connection);
    return filled.rows;
  });
  const [first, second, third] = rows.map((row) => row.id) as [number, number, number];
  const analyzes = (await counted((activity) => activity.inserted === READERS)).analyzed;
  const reanalyzed = await database.db.connection().execute(async (connection) => {
    const done = await afterFill(connection);
    await reportStatistics(connection);
    return done;
  });
  // What an analyze read (it samples the partition) is counted before the writes.
  const before = await counted((activity) => activity.analyzed === analyzes + (reanalyzed ? 1 : 0));

  await record([
    { id: first, outcome: 'sent', smtpMessageId: '<1@example.org>' },
    { id: second, outcome: 'sent', smtpMessageId: '<2@example.org>' },
  ]);
  await record([{ id: third, outcome: 'hard_bounce', error: '550 no such user' }]);
  await reportStatistics(ledger);
  const written = await counted((activity) => activity.updated === 3);

  const counts = await sql<{ status: string; count: number }>`
    select status, count(*)::int as count from deliveries group by status order by status
  `.execute(database.db);
  expect(counts.rows).toEqual([
    { status: 'bounced', count: 1 },
    { status: 'sending', count: READERS - 3 },
    { status: 'sent', count: 2 },
  ]);
  // Both statements ran on plans made once, not planned at each call.
  const plans = await sql<{ generic_plans: number; custom_plans: number }>`
    select generic_plans::int, custom_plans::int from pg_prepared_statements
  `.execute(ledger);
  expect(plans.rows).toEqual([
    { generic_plans: 2, custom_plans: 0 },
    { generic_plans: 2, custom_plans: 0 },
  ]);
  return written.pages - before.pages;
}

// Three rows recorded: a few pages each through the index (about 20 in all), not every page of
// the issue's (over 600 when the plan scans them).
const PAGES_OF_THREE_WRITES = 100;

describe('the ledger writes on connections with generic plans', () => {
  it('touch the rows they record, even with plans made while the month was empty', async () => {
    expect(await pagesOfWritesAfterFill(false)).toBeLessThan(PAGES_OF_THREE_WRITES);
  });

  it('touch the rows they record when the empty month had been analyzed: its statistics are refreshed after the fill', async () => {
    let refreshed: boolean | undefined;
    const pages = await pagesOfWritesAfterFill(true, async (connection) => {
      refreshed = await refreshMonthStatistics(connection, ISSUE_DATE, READERS);
      return refreshed;
    });
    expect(refreshed).toBe(true);
    expect(pages).toBeLessThan(PAGES_OF_THREE_WRITES);
    // Statistics that know the rows are left as they are.
    expect(await refreshMonthStatistics(database.db, ISSUE_DATE, READERS)).toBe(false);
  });
});
