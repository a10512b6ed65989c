import { randomBytes } from 'node:crypto';
import { type Config, loadConfig } from '@digest/config';
import { createDb, type Db, insertSubscribersIfNew, migrateToLatest, type NewSubscriber } from '@digest/db';
import { importPapers } from '@digest/digest';
import { databaseUrl, TEST_REDIS_URL } from '../support/env.ts';
import { fixture } from '../support/fixtures.ts';
import { adminQuery } from '../support/postgres.ts';

export interface BenchDatabase {
  url: string;
  /** The benchmark's own connections (seeding, polling, checks), apart from the services' pool. */
  db: Db;
  drop(): Promise<void>;
}

/** A database of the benchmark's own on the test Postgres, migrated; `drop` removes it. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `digest_bench_${randomBytes(5).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = databaseUrl(name);
  const db = createDb(url, { max: 2 });
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await db.destroy();
    await adminQuery(`drop database if exists ${name} with (force)`);
  };
  try {
    await migrateToLatest(db);
  } catch (error) {
    await drop();
    throw error;
  }
  return { url, db, drop };
}

/**
 * `recipients` active daily subscribers, the Hugging Face sample (5 papers a day on
 * 2026-05-22..24) and the flat sample (2024 dates, used for the 10-paper render).
 */
export async function seed(db: Db, recipients: number): Promise<void> {
  const CHUNK = 1000;
  for (let start = 0; start < recipients; start += CHUNK) {
    const rows: NewSubscriber[] = [];
    for (let index = start; index < Math.min(start + CHUNK, recipients); index++) {
      rows.push({ email: `reader-${index}@bench.example.org`, status: 'active', consent_source: 'import' });
    }
    await insertSubscribersIfNew(db, rows);
  }
  for (const name of ['hf-daily-papers-sample.json', 'daily-papers.json'] as const) {
    await importPapers(db, fixture(name), { timeZone: 'UTC' });
  }
}

/** The services' configuration for this run: quiet, its own database, queue prefix and sink. */
export function benchConfig(options: { databaseUrl: string; smtpUrl: string; queuePrefix: string }): Config {
  return loadConfig(
    {
      NODE_ENV: 'test',
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      SMTP_URL: options.smtpUrl,
      SMTP_POOL_SIZE: '5',
      QUEUE_PREFIX: options.queuePrefix,
      PUBLIC_BASE_URL: 'https://digest.bench.example.org',
      MAIL_FROM: 'Daily Papers <digest@bench.example.org>',
      TOKEN_SECRET: 'bench-secret-bench-secret-bench-secret',
      ADMIN_TOKEN: 'bench-admin-token',
      // Far from any run: the daily scheduler that startWorkers registers never fires meanwhile.
      DIGEST_CRON: '0 0 1 1 *',
      LOG_LEVEL: 'silent',
    },
    (message) => process.stderr.write(`config: ${message}\n`),
  );
}
