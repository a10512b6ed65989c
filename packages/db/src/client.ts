import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import type { Database } from './schema.ts';

// bigint ids and counts fit in a JS number for any realistic list; dates stay calendar strings.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export type Db = Kysely<Database>;

/** A time limit of Postgres's, in force until the transaction `trx` ends. */
export async function limitTransaction(
  trx: Db,
  limit: 'lock_timeout' | 'idle_in_transaction_session_timeout',
  ms: number,
): Promise<void> {
  await sql`select set_config(${limit}, ${`${ms}ms`}, true)`.execute(trx);
}

/** A server that accepts the connection but never speaks Postgres must not hang a process. */
export const CONNECT_TIMEOUT_MS = 5000;

export interface DbOptions {
  max?: number;
  /**
   * Fail fast when Postgres is away, for processes serving people: a new connection gives up
   * after `connectMs` (else CONNECT_TIMEOUT_MS), a query after `queryMs` (else it waits).
   */
  timeouts?: { connectMs: number; queryMs: number };
  /**
   * Plan each PREPARED statement once per connection (`plan_cache_mode = force_generic_plan`),
   * for connections that run only statements written so that a generic plan is a good one.
   */
  genericPlans?: boolean;
}

/**
 * Starts the text of a statement Postgres should prepare once per connection, not parse and
 * analyse at every call: a named prepared statement (Postgres may still plan each call: it does
 * when a generic plan would cost every partition, unless the connection has `genericPlans`).
 * For hot statements only, whose text never varies (lists go in as array parameters): every such
 * text stays prepared as long as its connection.
 */
const PREPARED_MARK = '/* prepared */';
export const PREPARED = sql.raw(PREPARED_MARK);

/** The statement name of each prepared text, the same on every connection of the process. */
const statementNames = new Map<string, string>();

/** pg's client, except that a statement starting with PREPARED goes as a named statement. */
class Client extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: passes every one of pg's query overloads through
  override query(config: any, values?: any, callback?: any): any {
    if (typeof config !== 'string' || !config.startsWith(PREPARED_MARK))
      return super.query(config, values, callback);
    let name = statementNames.get(config);
    if (!name) {
      name = `prepared_${statementNames.size + 1}`;
      statementNames.set(config, name);
    }
    // query(text, callback) has no values.
    if (typeof values === 'function') return super.query({ name, text: config }, values);
    return super.query({ name, text: config, values }, callback);
  }
}

const GENERIC_PLANS = '-c plan_cache_mode=force_generic_plan';

/**
 * How the pool connects: `databaseUrl`, and with `genericPlans` its start-up options too, the
 * operator's (the URL's `options`, else PGOPTIONS) beside plan_cache_mode. pg lets the URL's
 * options override the config's, so the URL goes in parsed, by pg's own parser.
 */
function connection(databaseUrl: string, genericPlans: boolean): pg.PoolConfig {
  if (!genericPlans) return { connectionString: databaseUrl };
  const { options, ...parsed } = parseIntoClientConfig(databaseUrl);
  return { ...parsed, options: [options || process.env.PGOPTIONS, GENERIC_PLANS].filter(Boolean).join(' ') };
}

export function createDb(databaseUrl: string, options: DbOptions = {}): Db {
  const pool = new pg.Pool({
    Client,
    ...connection(databaseUrl, options.genericPlans === true),
    max: options.max ?? 10,
    connectionTimeoutMillis: options.timeouts?.connectMs ?? CONNECT_TIMEOUT_MS,
    query_timeout: options.timeouts?.queryMs,
  });
  // A client losing its server (Postgres restart) must not crash the process: an idle one is
  // reported on the pool, one checked out between queries on itself. The query in flight, if
  // any, fails on its own promise, and the pool replaces the client.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Creates the database of `databaseUrl` when the server does not have it yet (Postgres error
 * 3D000), connecting to the server's `postgres` database to do so. Returns whether it did.
 */
export async function createDatabaseIfMissing(databaseUrl: string): Promise<boolean> {
  const probe = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  try {
    await probe.connect();
    return false;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error;
  } finally {
    await probe.end().catch(() => {});
  }
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new pg.Client({
    connectionString: url.toString(),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  await admin.connect();
  try {
    await admin.query(`create database ${pg.escapeIdentifier(name)}`);
    return true;
  } finally {
    await admin.end();
  }
}
