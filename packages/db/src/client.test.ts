import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { TEST_POSTGRES_URL } from '../../../test/support/env.ts';
import { eventually } from '../../../test/support/processes.ts';
import { createDb, limitTransaction } from './client.ts';

let database: TestDatabase;
let admin: pg.Client;

beforeEach(async () => {
  database = await createTestDatabase();
  admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
});

afterEach(async () => {
  await admin.end();
  await database.drop();
});

describe('createDb', () => {
  it('survives the server ending a connection that is checked out between queries', async () => {
    // What a Postgres restart does to a worker holding a connection: without an error listener on
    // the client, its "terminating connection" message crashes the whole process.
    await database.db.connection().execute(async (connection) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(connection);
      const pid = rows[0]?.pid;
      await admin.query('select pg_terminate_backend($1)', [pid]);
      await eventually(async () => {
        const { rowCount } = await admin.query('select 1 from pg_stat_activity where pid = $1', [pid]);
        return rowCount === 0 ? true : undefined;
      });
      // Let the client read the server's goodbye while it is still checked out.
      await new Promise((resolve) => setImmediate(resolve));
    });
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(database.db);
    expect(rows).toEqual([{ one: 1 }]);
  });
});

describe('createDb with generic plans', () => {
  const settings = async (url: string, genericPlans: boolean) => {
    const db = createDb(url, { max: 1, genericPlans });
    try {
      const { rows } = await sql<{ plans: string; timeout: string }>`
        select current_setting('plan_cache_mode') as plans, current_setting('statement_timeout') as timeout
      `.execute(db);
      return rows[0];
    } finally {
      await db.destroy();
    }
  };
  const withOptions = (...values: string[]) => {
    const url = new URL(database.url);
    for (const value of values) url.searchParams.append('options', value);
    return url.href;
  };

  it('keeps every start-up option a plain pool gets, from the URL or PGOPTIONS, beside them', async () => {
    const cases: [url: string, pgOptions: string | undefined, timeout: string][] = [
      [database.url, undefined, '0'],
      [withOptions('-c statement_timeout=4321'), undefined, '4321ms'],
      // Given twice, the last counts, as for pg.
      [withOptions('-c statement_timeout=1111', '-c statement_timeout=2222'), undefined, '2222ms'],
      [database.url, '-c statement_timeout=7000', '7s'],
      // Empty in the URL: PGOPTIONS still counts, as for pg.
      [withOptions(''), '-c statement_timeout=7000', '7s'],
    ];
    const before = process.env.PGOPTIONS;
    try {
      for (const [url, pgOptions, timeout] of cases) {
        if (pgOptions === undefined) delete process.env.PGOPTIONS;
        else process.env.PGOPTIONS = pgOptions;
        expect(await settings(url, false), url).toEqual({ plans: 'auto', timeout });
        expect(await settings(url, true), url).toEqual({ plans: 'force_generic_plan', timeout });
      }
    } finally {
      if (before === undefined) delete process.env.PGOPTIONS;
      else process.env.PGOPTIONS = before;
    }
  });
});

describe('limitTransaction', () => {
  it('has Postgres end a transaction left idle past its limit, and what it wrote with it', async () => {
    await sql`create table held (id int)`.execute(database.db);
    const outcome = database.db.transaction().execute(async (trx) => {
      await limitTransaction(trx, 'idle_in_transaction_session_timeout', 100);
      await sql`insert into held values (1)`.execute(trx);
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
      await eventually(async () => {
        const { rowCount } = await admin.query('select 1 from pg_stat_activity where pid = $1', [
          rows[0]?.pid,
        ]);
        return rowCount === 0 ? true : undefined;
      });
      await sql`select 1`.execute(trx);
    });
    await expect(outcome).rejects.toThrow(/terminat|not queryable/i);
    const { rows } = await sql<{ count: number }>`select count(*)::int as count from held`.execute(
      database.db,
    );
    expect(rows).toEqual([{ count: 0 }]);
  });
});
