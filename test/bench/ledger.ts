/**
 * `pnpm bench:ledger [--rows N] [--plans <file>] [--keep]`: the deliveries ledger at a million
 * rows. Makes a database of its own, fills N deliveries (default 1,000,000) over eight issues two
 * weeks apart (five monthly partitions, most days), the newest one half sent, then runs each hot
 * query of the delivery engine, the reconciler and the admin under `EXPLAIN (ANALYZE, BUFFERS)`
 * in a transaction that is rolled back, and prints per statement the scans it made, the rows it
 * returned, the buffers it touched and its time (planning and execution, foreign-key checks
 * included). `--plans` writes the plans to a file; the database is dropped at the end unless
 * `--keep` is given (to try queries on it by hand). Not a test: the figures are in
 * docs/performance.md.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  claimDueDeliveries,
  completeIssueIfDone,
  countDeliveriesByStatus,
  countFailuresByReason,
  countScheduledDeliveries,
  createDb,
  type Db,
  type DeliveryResult,
  deleteSubscriberByEmail,
  ensureDeliveryPartitions,
  keepSettledCounts,
  listIssuesWithDueDeliveries,
  listSubscriberDeliveries,
  migrateToLatest,
  nextDeliveryAttempt,
  queueDeliveriesForAudience,
  queueResend,
  recordDeliveryResults,
  releaseDeliveries,
  renewDeliveryLeases,
  reopenIssuesWithWork,
  requeueLapsedDeliveries,
  searchDeliveries,
  subscriberDeliveryHistory,
} from '@digest/db';
import { DUE_COUNTED, listIssueOverviews } from '@digest/digest';
import pg from 'pg';
import { databaseUrl } from '../support/env.ts';
import { adminQuery } from '../support/postgres.ts';

const progress = (message: string) => process.stderr.write(`bench:ledger: ${message}\n`);

const ISSUES = 8;
const DAYS_APART = 14;
/** Send runs holding leases on the newest issue, 200 deliveries each; one more run died. */
const LIVE_RUNS = 4;
const LEASED_PER_RUN = 200;

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    rows: { type: 'string', default: '1000000' },
    plans: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows);
if (!Number.isInteger(rows) || rows < ISSUES * 1000)
  throw new Error(`--rows must be a whole number ≥ ${ISSUES * 1000}`);
const subscribers = Math.floor(rows / ISSUES);
/** The first of next month: an issue dated then gets the fan-out. */
const NEXT_MONTH = (() => {
  const date = new Date();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() + 1);
  return date.toISOString().slice(0, 10);
})();

/**
 * Subscribers (2 % bounced, 1 % unsubscribed since), eight daily issues, and one delivery per
 * subscriber and issue. The seven older issues are settled: 96.5 % sent, 1.5 % failed (four
 * reasons), 1 % bounced, 1 % skipped, and 1 in 200 readers of the last of them was resent to.
 * The newest is being sent: 40 % sent, 2 % waiting for a retry, 12 % waiting for their morning,
 * 0.8 % leased by live runs and one lapsed run, 0.5 % failed, the rest due now.
 */
const SEED = [
  `insert into subscribers (email, status, cadence, consent_source)
   select 'reader-' || g || '@bench.example.org',
     case when g % 50 = 0 then 'bounced' when g % 97 = 0 then 'unsubscribed' else 'active' end, 'daily', 'import'
   from generate_series(1, ${subscribers}) g`,
  `insert into issues (cadence, issue_date, status, subject, papers, html, text, completed_at)
   select 'daily', current_date - (${ISSUES - 1} - k) * ${DAYS_APART},
     case when k = ${ISSUES - 1} then 'sending' else 'sent' end, 'Daily Papers', '[]', '', '',
     case when k = ${ISSUES - 1} then null else now() end
   from generate_series(0, ${ISSUES - 1}) k`,
  `insert into deliveries (issue_id, issue_date, subscriber_id, status, attempts, lease_owner, last_error,
     smtp_message_id, queued_at, sent_at, updated_at, next_attempt_at)
   select i.id, i.issue_date, s.id, x.status,
     case x.status when 'sent' then 1 when 'failed' then 3 when 'bounced' then 1 else 0 end,
     md5(i.id || ':' || s.id / 200)::uuid::text,
     case x.status
       when 'failed' then (array['552 5.2.2 mailbox full', '450 4.2.0 greylisted, retry budget used up',
         '421 4.7.0 too many connections, retry budget used up', '554 5.7.1 message refused'])[1 + x.h % 4]
       when 'bounced' then '550 5.1.1 user unknown'
       when 'skipped' then 'subscriber is no longer active' end,
     case when x.status = 'sent' then '<' || md5(i.id || '/' || s.id) || '@digest.bench.example.org>' end,
     i.issue_date + interval '8 hours',
     case when x.status = 'sent' then i.issue_date + interval '8 hours' + s.id * interval '3 ms' end,
     i.issue_date + interval '8 hours' + s.id * interval '3 ms',
     i.issue_date + interval '8 hours'
   from issues i cross join subscribers s
   cross join lateral (select (hashtext(i.id || ':' || s.id) & 2147483647) % 10000 as h) hash
   cross join lateral (select hash.h,
     case when hash.h < 9650 then 'sent' when hash.h < 9800 then 'failed' when hash.h < 9900 then 'bounced'
       else 'skipped' end as status) x
   where i.status = 'sent'`,
  `insert into deliveries (issue_id, issue_date, subscriber_id, status, attempts, sent_at, smtp_message_id, resend)
   select i.id, i.issue_date, s.id, 'sent', 1, now(), '<' || md5(s.id::text) || '@digest.bench.example.org>', true
   from issues i cross join subscribers s
   where i.issue_date = current_date - ${DAYS_APART} and s.id % 200 = 0`,
  `insert into deliveries (issue_id, issue_date, subscriber_id, status, attempts, lease_owner, lease_expires_at,
     last_error, smtp_message_id, queued_at, sent_at, next_attempt_at)
   select i.id, i.issue_date, s.id, x.status,
     case when x.kind in ('sent', 'retry', 'failed') then 1 else 0 end,
     case when x.kind in ('sent', 'leased') then 'run-' || s.id % ${LIVE_RUNS + 1} end,
     case when x.kind = 'leased' then now() + case when s.id % ${LIVE_RUNS + 1} = 0
       then interval '-30 seconds' else interval '60 seconds' end end,
     case x.kind when 'retry' then '451 4.7.1 try again later' when 'failed' then '552 5.2.2 mailbox full' end,
     case when x.kind = 'sent' then '<' || md5(i.id || '/' || s.id) || '@digest.bench.example.org>' end,
     now() - interval '1 hour', case when x.kind = 'sent' then now() - interval '30 minutes' end,
     case x.kind when 'retry' then now() + interval '10 minutes'
       when 'scheduled' then now() + (1 + x.h % 12) * interval '1 hour' else now() - interval '1 hour' end
   from issues i cross join subscribers s
   cross join lateral (select (hashtext(i.id || ':' || s.id) & 2147483647) % 10000 as h) hash
   cross join lateral (select hash.h, k.kind,
     case k.kind when 'sent' then 'sent' when 'leased' then 'sending' when 'failed' then 'failed' else 'queued' end
       as status
     from (select case when hash.h < 4000 then 'sent' when hash.h < 4200 then 'retry'
       when hash.h < 5400 then 'scheduled' when hash.h < 5450 then 'failed'
       when hash.h < 5450 + ${Math.round(((LIVE_RUNS + 1) * LEASED_PER_RUN * 10_000) / subscribers)} then 'leased'
       else 'due' end as kind) k) x
   where i.status = 'sending'`,
  `insert into issues (cadence, issue_date, status, subject, papers, html, text)
   values ('daily', '${NEXT_MONTH}', 'skipped', 'Daily Papers', '[]', '', '')`,
  'vacuum analyze subscribers, issues, deliveries',
];

interface Case {
  name: string;
  /** Puts the data in the state the query meets in production (rolled back with it). */
  setup?: (db: Db) => Promise<unknown>;
  run: (db: Db) => Promise<unknown>;
}

interface Ids {
  newest: number;
  newestDate: string;
  /** The issue before it, sent two weeks ago. */
  settled: number;
  settledDate: string;
  /** An issue of next month without deliveries yet, for the fan-out. */
  nextMonth: number;
  /** A reader of every issue. */
  subscriber: { id: number; email: string };
  liveRun: string;
  /** What the live run holds: outcomes as a batch of the ledger writer records them. */
  results: DeliveryResult[];
}

function cases(ids: Ids): Case[] {
  return [
    {
      name: 'claimDueDeliveries (200)',
      run: (db) => claimDueDeliveries(db, ids.newest, 'bench-run', { limit: 200, leaseMs: 60_000 }),
    },
    { name: 'renewDeliveryLeases', run: (db) => renewDeliveryLeases(db, ids.liveRun, 60_000) },
    {
      name: 'recordDeliveryResults (200)',
      run: (db) =>
        recordDeliveryResults(db, { id: ids.newest, issue_date: ids.newestDate }, ids.liveRun, ids.results),
    },
    { name: 'releaseDeliveries', run: (db) => releaseDeliveries(db, ids.liveRun) },
    { name: 'reconcile: requeueLapsedDeliveries', run: (db) => requeueLapsedDeliveries(db) },
    { name: 'reconcile: reopenIssuesWithWork', run: (db) => reopenIssuesWithWork(db) },
    {
      name: 'reconcile: listIssuesWithDueDeliveries',
      run: (db) => listIssuesWithDueDeliveries(db, DUE_COUNTED),
    },
    { name: 'completeIssueIfDone (work left)', run: (db) => completeIssueIfDone(db, ids.newest) },
    {
      name: 'completeIssueIfDone (last batch)',
      setup: (db) =>
        db.updateTable('issues').set({ status: 'sending' }).where('id', '=', ids.settled).execute(),
      run: (db) => completeIssueIfDone(db, ids.settled),
    },
    { name: 'admin: countDeliveriesByStatus', run: (db) => countDeliveriesByStatus(db, ids.newest) },
    { name: 'admin: countFailuresByReason', run: (db) => countFailuresByReason(db, ids.newest) },
    { name: 'admin: countFailuresByReason (settled)', run: (db) => countFailuresByReason(db, ids.settled) },
    { name: 'admin: nextDeliveryAttempt', run: (db) => nextDeliveryAttempt(db, ids.newest) },
    { name: 'admin: countScheduledDeliveries', run: (db) => countScheduledDeliveries(db, ids.newest) },
    {
      name: 'admin: listIssueOverviews (issue list, no counts kept)',
      run: (db) => listIssueOverviews({ db }, ISSUES + 1), // and next month's, skipped
    },
    { name: 'reconcile: keepSettledCounts', run: (db) => keepSettledCounts(db) },
    {
      name: 'admin: listIssueOverviews (issue list, counts kept)',
      setup: async (db) => {
        while ((await keepSettledCounts(db)) !== undefined);
      },
      run: (db) => listIssueOverviews({ db }, ISSUES + 1), // and next month's, skipped
    },
    {
      name: 'admin: searchDeliveries (first page)',
      run: (db) => searchDeliveries(db, ids.newest, { limit: 50 }),
    },
    {
      name: 'admin: searchDeliveries (failed)',
      run: (db) => searchDeliveries(db, ids.settled, { limit: 50, status: 'failed' }),
    },
    {
      name: 'admin: listSubscriberDeliveries',
      run: (db) => listSubscriberDeliveries(db, ids.subscriber.id, 50),
    },
    {
      name: 'subscriberDeliveryHistory (export)',
      run: (db) => subscriberDeliveryHistory(db, ids.subscriber.id),
    },
    {
      name: 'queueResend (failed)',
      run: (db) =>
        queueResend(
          db,
          { id: ids.settled, cadence: 'daily', issue_date: ids.settledDate },
          { mode: 'failed' },
        ),
    },
    { name: 'erase a subscriber (cascade)', run: (db) => deleteSubscriberByEmail(db, ids.subscriber.email) },
    {
      name: `fan-out: queueDeliveriesForAudience (${subscribers})`,
      run: (db) => queueDeliveriesForAudience(db, ids.nextMonth, 'daily', 8),
    },
  ];
}

type Compiled = ReturnType<ReturnType<Db['getExecutor']>['compileQuery']>;

/** The statements `run` executes, compiled, in order (its subqueries are part of them). */
async function statementsOf(db: Db, item: Case): Promise<Compiled[]> {
  const compiled = new Map<unknown, Compiled>();
  const executed: Compiled[] = [];
  let capturing = false;
  const captured = db.withPlugin({
    transformQuery({ node, queryId }) {
      if (capturing) compiled.set(queryId, db.getExecutor().compileQuery(node, queryId));
      return node;
    },
    async transformResult({ result, queryId }) {
      const statement = compiled.get(queryId);
      if (statement) executed.push(statement);
      return result;
    },
  });
  await rolledBack(captured, async (trx) => {
    await item.setup?.(trx);
    capturing = true;
    await item.run(trx);
    capturing = false;
  });
  return executed;
}

const ROLLBACK = new Error('rollback');
async function rolledBack(db: Db, work: (trx: Db) => Promise<void>): Promise<void> {
  await db
    .transaction()
    .execute(async (trx) => {
      await work(trx);
      throw ROLLBACK;
    })
    .catch((error: unknown) => {
      if (error !== ROLLBACK) throw error;
    });
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Actual Total Time': number;
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
  'Subplans Removed'?: number;
  Plans?: PlanNode[];
  [detail: string]: unknown;
}

/** The details of a node worth reading, in EXPLAIN's own words. */
const DETAILS = [
  'Index Cond',
  'Recheck Cond',
  'Hash Cond',
  'Join Filter',
  'Filter',
  'Rows Removed by Filter',
  'Sort Key',
  'Sort Method',
  'Subplans Removed',
];

/** The plan as indented lines: node, relation and index, rows × loops, time, buffers, conditions. */
function render(plan: Explained): string {
  const lines: string[] = [];
  const walk = (node: PlanNode, depth: number) => {
    const on = node['Relation Name'] ? ` on ${node['Relation Name']}` : '';
    const using = node['Index Name'] ? ` using ${node['Index Name']}` : '';
    const buffers = node['Shared Hit Blocks'] + node['Shared Read Blocks'];
    lines.push(
      `${'  '.repeat(depth)}${node['Node Type']}${using}${on}  rows=${node['Actual Rows']} loops=${node['Actual Loops']} ` +
        `time=${node['Actual Total Time']} ms buffers=${buffers}`,
    );
    for (const key of DETAILS) {
      if (node[key] !== undefined) lines.push(`${'  '.repeat(depth + 2)}${key}: ${String(node[key])}`);
    }
    for (const child of node.Plans ?? []) walk(child, depth + 1);
  };
  walk(plan.Plan, 0);
  for (const trigger of plan.Triggers ?? []) {
    lines.push(`Trigger ${trigger['Trigger Name']}: ${trigger.Calls} calls, ${trigger.Time.toFixed(1)} ms`);
  }
  lines.push(`Planning ${plan['Planning Time']} ms, execution ${plan['Execution Time']} ms\n`);
  return lines.join('\n');
}
interface Explained {
  Plan: PlanNode;
  'Planning Time': number;
  'Execution Time': number;
  Triggers?: { 'Trigger Name': string; Time: number; Calls: number }[];
}

/** Partition → `deliveries`, a partition's index → the ledger's index it belongs to. */
async function parentNames(client: pg.Client): Promise<Map<string, string>> {
  const { rows: names } = await client.query<{ child: string; parent: string }>(
    `select c.relname as child, p.relname as parent from pg_inherits i
     join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent`,
  );
  return new Map(names.map((row) => [row.child, row.parent]));
}

/** "Index Scan deliveries_issue_status_idx ×4": each kind of scan, over how many partitions. */
function scans(plan: PlanNode, parents: Map<string, string>): string {
  const seen = new Map<string, number>();
  const removed: number[] = [];
  const walk = (node: PlanNode) => {
    if (node['Subplans Removed']) removed.push(node['Subplans Removed']);
    const relation = node['Relation Name'];
    if (relation) {
      const index = node['Index Name'];
      // Index scans by the ledger's index name; sequential scans by partition, to tell the empty ones.
      const label = `${node['Node Type']} ${index ? (parents.get(index) ?? index) : relation}`;
      seen.set(label, (seen.get(label) ?? 0) + 1);
    }
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(plan);
  const parts = [...seen].map(([label, count]) => (count > 1 ? `${label} ×${count}` : label));
  if (removed.length > 0) parts.push(`(${removed.join('+')} partitions pruned)`);
  return parts.join(', ');
}

async function main(): Promise<void> {
  const name = `digest_ledger_${randomBytes(5).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = databaseUrl(name);
  const db = createDb(url, { max: 1 });
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await migrateToLatest(db);
    // Four months of issues two weeks apart: every month has its partition before the fill.
    const dates = Array.from({ length: ISSUES }, (_, k) => {
      const date = new Date();
      date.setUTCDate(date.getUTCDate() - (ISSUES - 1 - k) * DAYS_APART);
      return date.toISOString().slice(0, 10);
    });
    await ensureDeliveryPartitions(db, [...dates, NEXT_MONTH]);
    progress(`filling ${ISSUES} issues × ${subscribers} subscribers`);
    const started = performance.now();
    for (const statement of SEED) await client.query(statement);
    progress(`filled in ${Math.round((performance.now() - started) / 1000)} s`);

    const size = await client.query<{ rows: string; bytes: string; heap: string }>(
      `select (select count(*) from deliveries) as rows,
         sum(pg_total_relation_size(relid)) as bytes,
         sum(pg_relation_size(relid)) as heap
       from pg_partition_tree('deliveries')`,
    );
    const { rows: count, bytes, heap } = size.rows[0] as { rows: string; bytes: string; heap: string };
    const mb = (value: string) => (Number(value) / 2 ** 20).toFixed(0);
    console.log(
      `ledger: ${Number(count).toLocaleString('en')} rows, ${mb(bytes)} MB with indexes (table ${mb(heap)} MB, ` +
        `indexes ${mb(String(Number(bytes) - Number(heap)))} MB): ${Math.round(Number(bytes) / Number(count))} bytes a row`,
    );

    const issues = await db
      .selectFrom('issues')
      .select(['id', 'issue_date'])
      .where('status', '!=', 'skipped')
      .orderBy('issue_date')
      .execute();
    const { id: nextMonth } = await db
      .selectFrom('issues')
      .select('id')
      .where('issue_date', '=', NEXT_MONTH)
      .executeTakeFirstOrThrow();
    const { id: newest, issue_date: newestDate } = issues.at(-1) as { id: number; issue_date: string };
    const { id: settled, issue_date: settledDate } = issues.at(-2) as { id: number; issue_date: string };
    const subscriber = await db
      .selectFrom('subscribers')
      .select(['id', 'email'])
      .where('id', '=', 400)
      .executeTakeFirstOrThrow();
    const leased = await db
      .selectFrom('deliveries')
      .select('id')
      .where('lease_owner', '=', 'run-1')
      .where('status', '=', 'sending')
      .execute();
    const results = leased.map(
      ({ id }, index): DeliveryResult =>
        index % 40 === 0
          ? {
              id,
              outcome: 'retry',
              error: '451 4.7.1 try again later',
              nextAttemptAt: new Date(Date.now() + 600_000),
            }
          : index % 50 === 1
            ? { id, outcome: 'soft_bounce', error: '552 5.2.2 mailbox full' }
            : { id, outcome: 'sent', smtpMessageId: `<${id}@digest.bench.example.org>` },
    );
    const ids: Ids = {
      newest,
      newestDate,
      settled,
      settledDate,
      nextMonth,
      subscriber,
      liveRun: 'run-1',
      results,
    };

    const parents = await parentNames(client);
    const plans: string[] = [];
    const table: string[][] = [['query', 'scans', 'rows', 'buffers', 'ms']];
    for (const item of cases(ids)) {
      const statements = await statementsOf(db, item);
      // What the capture left behind (a fan-out's rolled-back rows) must not slow the measured run.
      await client.query('vacuum deliveries, subscribers, issues');
      await rolledBack(db, async (trx) => {
        await item.setup?.(trx);
        for (const [index, statement] of statements.entries()) {
          const explain = { ...statement, sql: `explain (analyze, buffers, format json) ${statement.sql}` };
          const [{ 'QUERY PLAN': explained }] = (await trx.executeQuery(explain)).rows as [
            { 'QUERY PLAN': [Explained] },
          ];
          const [plan] = explained;
          const label = statements.length > 1 ? `${item.name} #${index + 1}` : item.name;
          plans.push(`-- ${label}\n${statement.sql.trim()}\n${render(plan)}`);
          const root = plan.Plan;
          table.push([
            label,
            scans(root, parents),
            String(root['Actual Rows']),
            String(root['Shared Hit Blocks'] + root['Shared Read Blocks']),
            // Execution time includes the triggers (foreign-key checks).
            (plan['Planning Time'] + plan['Execution Time']).toFixed(1),
          ]);
        }
      });
    }
    const widths = (table[0] as string[]).map((_, column) =>
      Math.max(...table.map((row) => (row[column] as string).length)),
    );
    for (const row of table)
      console.log(row.map((cell, column) => cell.padEnd(widths[column] as number)).join('  '));
    if (values.plans) writeFileSync(values.plans, plans.join('\n'));
  } finally {
    await client.end().catch(() => {});
    await db.destroy();
    if (values.keep) progress(`kept the database: ${url}`);
    else await adminQuery(`drop database if exists ${name} with (force)`);
  }
}

await main();
