import { type IsoDate, monthStart } from '@digest/core';
import { sql } from 'kysely';
import { type Db, limitTransaction } from './client.ts';

/**
 * The deliveries ledger has one partition a month, `deliveries_YYYY_MM`, holding the deliveries of
 * the issues dated in that month. There is no default partition: a delivery whose month has no
 * partition is refused, never stored where retention would not find it.
 */
const PARTITION_NAME = /^deliveries_(\d{4})_(\d{2})$/;

/** Serialises creating and dropping partitions across every worker and API process. */
const PARTITION_LOCK = 0x6c656467; // 'ledg'

/** How long refreshMonthStatistics waits for its locks before leaving the month to autovacuum. */
const STATISTICS_LOCK_TIMEOUT_MS = 5_000;

/** Postgres's lock_not_available: a lock was not granted within lock_timeout. */
export const LOCK_NOT_AVAILABLE = '55P03';

export function partitionName(month: IsoDate): string {
  return `deliveries_${month.slice(0, 4)}_${month.slice(5, 7)}`;
}

/** The months (YYYY-MM-01) that have a partition, oldest first. */
export async function listDeliveryPartitions(db: Db): Promise<IsoDate[]> {
  const { rows } = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'deliveries'::regclass
  `.execute(db);
  return rows
    .map((row) => PARTITION_NAME.exec(row.name))
    .filter((match) => match !== null)
    .map((match) => `${match[1]}-${match[2]}-01`)
    .sort();
}

export interface PartitionOptions {
  /**
   * Give up on a lock not granted within this (Postgres error 55P03), rather than make every
   * query on the ledger queue behind the wait. Unset: wait as long as it takes.
   */
  lockTimeoutMs?: number;
}

/**
 * Makes sure the months of `dates` have their partition; returns the months it created. Safe when
 * several processes ask at once: one creates, the others find it made. A partition is created
 * standalone and then attached, which locks the ledger only against other schema changes (not
 * reads or writes, as `create table … partition of` would). Call it outside any transaction that
 * then writes the deliveries: attaching clones the foreign keys, whose locks on subscribers and
 * issues would otherwise last as long as that transaction.
 */
export async function ensureDeliveryPartitions(
  db: Db,
  dates: IsoDate[],
  options: PartitionOptions = {},
): Promise<IsoDate[]> {
  const wanted = [...new Set(dates.map((date) => monthStart(date)))];
  const existing = new Set(await listDeliveryPartitions(db));
  if (wanted.every((month) => existing.has(month))) return [];
  return maintenance(db, options, async (trx) => {
    // Another process may have created them while this one waited for the lock.
    const present = new Set(await listDeliveryPartitions(trx));
    const created = wanted.filter((month) => !present.has(month));
    for (const month of created) {
      const name = sql.id(partitionName(month));
      await sql`create table ${name} (like deliveries including defaults including constraints)`.execute(trx);
      await sql`
        alter table deliveries attach partition ${name}
        for values from (${sql.lit(month)}) to (${sql.lit(monthStart(month, 1))})
      `.execute(trx);
    }
    return created;
  });
}

/**
 * Drops the partitions of the months before `month`, keeping any month that has an issue still
 * sending or paused; returns the months dropped. The issues stay, without their deliveries.
 * Dropping an attached partition detaches it in the same statement and locks only the ledger;
 * detaching it first would leave it foreign keys of its own, whose drop locks subscribers and
 * issues against every read.
 */
export async function dropDeliveryPartitionsBefore(
  db: Db,
  month: IsoDate,
  options: PartitionOptions = {},
): Promise<IsoDate[]> {
  const old = (await listDeliveryPartitions(db)).filter((start) => start < month);
  if (old.length === 0) return [];
  return maintenance(db, options, async (trx) => {
    const { rows } = await sql<{ month: string }>`
      select distinct to_char(date_trunc('month', issue_date), 'YYYY-MM-DD') as month
      from issues where status in ('sending', 'paused') and issue_date < ${month}::date
    `.execute(trx);
    const busy = new Set(rows.map((row) => row.month));
    const present = new Set(await listDeliveryPartitions(trx));
    const dropped = old.filter((start) => present.has(start) && !busy.has(start));
    for (const start of dropped) await sql`drop table ${sql.id(partitionName(start))}`.execute(trx);
    return dropped;
  });
}

/** A transaction holding the partition lock, its lock waits bounded by `lockTimeoutMs` when given. */
function maintenance<T>(db: Db, options: PartitionOptions, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    if (options.lockTimeoutMs !== undefined)
      await limitTransaction(trx, 'lock_timeout', options.lockTimeoutMs);
    await sql`select pg_advisory_xact_lock(${PARTITION_LOCK})`.execute(trx);
    return work(trx);
  });
}

/**
 * Refreshes the statistics of the month of `date` when they count fewer rows than the `added`
 * deliveries just stored in it (a month's first issue: its partition empty until now, or analyzed
 * empty), and says whether it did. The send path plans its ledger writes once per connection
 * (DbOptions.genericPlans): planned for an empty month, they would read the whole issue at each
 * write until autovacuum came round; analyzing replans them. Its locks are waited for at most
 * STATISTICS_LOCK_TIMEOUT_MS (Postgres error 55P03).
 */
export async function refreshMonthStatistics(db: Db, date: IsoDate, added: number): Promise<boolean> {
  const name = partitionName(monthStart(date));
  // -1: never analyzed.
  const { rows } = await sql<{ tuples: number }>`
    select reltuples::float8 as tuples from pg_class where oid = to_regclass(${name})
  `.execute(db);
  const tuples = rows[0]?.tuples;
  if (tuples === undefined || tuples >= added) return false;
  await maintenance(db, { lockTimeoutMs: STATISTICS_LOCK_TIMEOUT_MS }, (trx) =>
    sql`analyze ${sql.id(name)}`.execute(trx),
  );
  return true;
}
