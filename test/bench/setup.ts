import { randomBytes } from 'node:crypto';
import { createDb, type Db, insertSubscribersIfNew, migrateToLatest, type NewSubscriber } from '@digest/db';
import { importPapers } from '@digest/digest';
import { databaseUrl, TEST_REDIS_URL } from '../support/env.ts';
import { fixture } from '../support/fixtures.ts';
import { adminQuery } from '../support/postgres.ts';

export interface BenchDatabase {
  url: string;
  /** The benchmark's own connections (seeding, checks), apart from the services' pools. */
  db: Db;
  drop(): Promise<void>;
}

/**
 * A migrated database of the benchmark's own on the test Postgres with `recipients` active daily
 * subscribers and the Hugging Face sample (5 papers a day on 2026-05-22..24); `drop` removes it.
 * With `editions`, readers choose keywords making that many distinct personal editions.
 */
export async function createBenchDatabase(recipients: number, editions = 0): Promise<BenchDatabase> {
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
    await seed(db, recipients, editions);
  } catch (error) {
    await drop();
    throw error;
  }
  return { url, db, drop };
}

/**
 * Keywords of reader `index` among `editions` distinct choices: one that papers of the sample's
 * 2026-05-22 match, and one of their own that nothing does (an edition per choice, none empty).
 */
function keywordsOf(index: number, editions: number): string[] {
  return editions > 0 ? ['EEG', `topic${index % editions}`] : [];
}

async function seed(db: Db, recipients: number, editions: number): Promise<void> {
  const CHUNK = 1000;
  for (let start = 0; start < recipients; start += CHUNK) {
    const rows: NewSubscriber[] = [];
    for (let index = start; index < Math.min(start + CHUNK, recipients); index++) {
      rows.push({
        email: `reader-${index}@bench.example.org`,
        status: 'active',
        consent_source: 'import',
        keywords: keywordsOf(index, editions),
      });
    }
    await insertSubscribersIfNew(db, rows);
  }
  await importPapers(db, fixture('hf-daily-papers-sample.json'), { timeZone: 'UTC' });
}

export const PUBLIC_BASE_URL = 'https://digest.bench.example.org';
export const MAIL_FROM = 'Daily Papers <digest@bench.example.org>';

/** The services' environment for one run: production mode, its own database, queue prefix and sink. */
export function serviceEnv(options: {
  databaseUrl: string;
  smtpUrl: string;
  queuePrefix: string;
  poolSize: number;
}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    SMTP_URL: options.smtpUrl,
    SMTP_POOL_SIZE: String(options.poolSize),
    QUEUE_PREFIX: options.queuePrefix,
    PUBLIC_BASE_URL,
    MAIL_FROM,
    TOKEN_SECRET: 'bench-secret-bench-secret-bench-secret',
    ADMIN_TOKEN: 'bench-admin-token-bench-admin-token',
    // Far from any run: the daily scheduler that the worker registers never fires meanwhile.
    DIGEST_CRON: '0 0 1 1 *',
    // The load test signs up thousands of addresses from one client.
    SIGNUP_RATE_LIMIT: '100000000',
    LOG_LEVEL: 'warn',
  };
}
