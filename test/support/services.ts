import { Redis } from 'ioredis';
import pg from 'pg';
import { TEST_POSTGRES_URL, TEST_REDIS_URL } from './env.ts';

const PROBE_TIMEOUT_MS = 3000;

/**
 * What a machine without Postgres or Redis lacks, one line each, naming the variable and how to
 * get the service; empty when both answer. Asked once before any test, so a fresh machine gets
 * these lines within seconds rather than a wall of connection errors from every file.
 */
export async function missingServices(): Promise<string[]> {
  const [postgres, redis] = await Promise.all([probePostgres(), probeRedis()]);
  const missing: string[] = [];
  if (postgres) {
    missing.push(
      `Postgres is not reachable at ${host(TEST_POSTGRES_URL)} (DATABASE_URL): ${postgres}. ` +
        'Start one: `apt-get install -y postgresql && pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start`, ' +
        'or `docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:17`, or run `docker compose run --rm test`.',
    );
  }
  if (redis) {
    missing.push(
      `Redis is not reachable at ${host(TEST_REDIS_URL)} (REDIS_URL): ${redis}. ` +
        'Start one: `apt-get install -y redis-server && redis-server --daemonize yes`, ' +
        'or `docker run -d -p 6379:6379 redis:7`, or run `docker compose run --rm test`.',
    );
  }
  return missing;
}

async function probePostgres(): Promise<string | undefined> {
  const client = new pg.Client({
    connectionString: TEST_POSTGRES_URL,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
  });
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    return reason(error);
  } finally {
    await client.end().catch(() => {});
  }
}

async function probeRedis(): Promise<string | undefined> {
  // No retries: one attempt answers the question.
  const redis = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // The socket's own error (ECONNREFUSED) says more than the rejection ("Connection is closed").
  let socketError: unknown;
  redis.on('error', (error) => (socketError ??= error));
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    return reason(socketError ?? error);
  } finally {
    redis.disconnect();
  }
}

function reason(error: unknown): string {
  if (error instanceof AggregateError) return reason(error.errors[0]);
  const { code, message } = error as NodeJS.ErrnoException;
  return code ?? message ?? String(error);
}

function host(url: string): string {
  return new URL(url).host;
}
