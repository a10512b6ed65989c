import { once } from 'node:events';
import { sql } from 'kysely';
import type { Resources } from './resources.ts';

const START_TIMEOUT_MS = 10_000;

/**
 * At start-up, Postgres and Redis must answer within the timeout, or the process ends with one
 * line per store naming its variable and host: a wrong URL should not look like a hang, nor like
 * a wall of reconnect errors. Later outages are ridden out by reconnecting.
 */
export async function connectOrExit(
  resources: Pick<Resources, 'db' | 'ledgerDb' | 'redis' | 'config'>,
  { timeoutMs = START_TIMEOUT_MS, ledger = false }: { timeoutMs?: number; ledger?: boolean } = {},
): Promise<void> {
  const { config } = resources;
  const postgres = (name: string, db: Resources['db']) =>
    probe(name, 'DATABASE_URL', config.DATABASE_URL, () => sql`select 1`.execute(db), timeoutMs);
  const [database, redis] = await Promise.all([
    postgres('Postgres', resources.db),
    probe('Redis', 'REDIS_URL', config.REDIS_URL, () => pingOnceReady(resources.redis), timeoutMs),
  ]);
  // A process that sends (`ledger`): the ledger's own connections ask for more at start-up, which
  // a pooler in between may refuse (README, Scaling out). Tried once Postgres itself answers.
  const ledgerProblem =
    ledger && database === undefined
      ? await postgres('Postgres for the ledger', resources.ledgerDb)
      : undefined;
  const problems = [database, ledgerProblem, redis].filter((problem) => problem !== undefined);
  if (problems.length === 0) return;
  for (const problem of problems) console.error(`error: ${problem}`);
  process.exit(1);
}

/** The API's connection has no offline queue: a command before the first connection would fail. */
async function pingOnceReady(redis: Resources['redis']): Promise<unknown> {
  if (redis.status !== 'ready') await once(redis, 'ready');
  return redis.ping();
}

async function probe(
  store: string,
  variable: string,
  url: string,
  check: () => Promise<unknown>,
  timeoutMs: number,
): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return undefined;
  } catch (error) {
    // The host and port only: the URL may carry a password.
    const where = new URL(url).host;
    return `cannot reach ${store} at ${where} (${variable}): ${describe(error)}`;
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  if (error instanceof AggregateError) return describe(error.errors[0]);
  // 3D000: the server answers, without that database yet.
  if ((error as { code?: string }).code === '3D000')
    return `${(error as Error).message} (\`pnpm migrate\` creates it)`;
  const message =
    error instanceof Error ? error.message || (error as NodeJS.ErrnoException).code : String(error);
  return message ?? 'unknown error';
}
