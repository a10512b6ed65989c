import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createDb } from '@digest/db';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { databaseUrl } from '../../../test/support/env.ts';
import { adminQuery } from '../../../test/support/postgres.ts';
import { migrate } from './migrate.ts';
import { captureIo } from './testing.ts';

describe('migrate', () => {
  it('creates a missing database, applies the migrations once, then reports it up to date', async () => {
    const name = `digest_migrate_${randomBytes(4).toString('hex')}`;
    const url = databaseUrl(name);
    const db = createDb(url, { max: 1 });
    try {
      const first = captureIo();
      await migrate({ db, config: { DATABASE_URL: url } }, first.io);
      // Every migration file, in name order: a new migration needs no change here.
      const migrations = readdirSync(new URL('../../../packages/db/src/migrations/', import.meta.url))
        .filter((file) => file.endsWith('.ts'))
        .sort()
        .map((file) => `applied ${file.replace(/\.ts$/, '')}\n`);
      expect(first.stdout()).toBe(`created database ${name}\n${migrations.join('')}`);

      const again = captureIo();
      await migrate({ db, config: { DATABASE_URL: url } }, again.io);
      expect(again.stdout()).toBe('database is up to date\n');

      const { rows } = await sql<{ table_name: string }>`
        select table_name from information_schema.tables where table_schema = 'public' order by table_name
      `.execute(db);
      expect(rows.map((row) => row.table_name)).toEqual(
        expect.arrayContaining(['deliveries', 'issues', 'papers', 'subscribers']),
      );
    } finally {
      await db.destroy();
      await adminQuery(`drop database if exists ${name} with (force)`);
    }
  });
});
