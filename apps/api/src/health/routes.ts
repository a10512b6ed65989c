import { AppError } from '@digest/core';
import type { Db } from '@digest/db';
import { metricsAuthorized } from '@digest/metrics';
import type { RedisConnection } from '@digest/queue';
import { Hono } from 'hono';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import { within } from '../http/deadline.ts';

const CHECK_TIMEOUT_MS = 2_000;

/**
 * Liveness, readiness (Postgres and Redis answer) and Prometheus metrics, the latter behind
 * `METRICS_TOKEN` when one is set.
 */
export function healthRoutes(db: Db, redis: RedisConnection, registry: Registry, metricsToken?: string) {
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
      if (!metricsAuthorized(c.req.header('authorization'), metricsToken)) {
        c.header('WWW-Authenticate', 'Bearer');
        throw new AppError('unauthorized', 'Metrics need the METRICS_TOKEN as a bearer token.');
      }
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
