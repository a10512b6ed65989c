import type { Db } from '@digest/db';
import type { RedisConnection } from '@digest/queue';
import { Hono } from 'hono';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import { within } from '../http/deadline.ts';

const CHECK_TIMEOUT_MS = 2_000;

/** Liveness, readiness (Postgres and Redis answer) and Prometheus metrics. */
export function healthRoutes(db: Db, redis: RedisConnection, registry: Registry) {
  return new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      const [postgres, redisCheck] = await Promise.all([
        check(() => sql`select 1`.execute(db)),
        check(() => redis.ping()),
      ]);
      // Which one is down, never why: error messages carry hosts and ports.
      const ready = postgres === 'ok' && redisCheck === 'ok';
      return c.json(
        { status: ready ? 'ready' : 'unavailable', postgres, redis: redisCheck },
        ready ? 200 : 503,
      );
    })
    .get('/metrics', async (c) => {
      c.header('Content-Type', registry.contentType);
      return c.body(await registry.metrics());
    });
}

async function check(probe: () => Promise<unknown>): Promise<'ok' | 'unavailable'> {
  try {
    await within(probe(), CHECK_TIMEOUT_MS);
    return 'ok';
  } catch {
    return 'unavailable';
  }
}
