import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { TEST_POSTGRES_URL } from '../../../test/support/env.ts';
import { eventually } from '../../../test/support/processes.ts';

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
