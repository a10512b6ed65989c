import type { Db } from '@digest/db';
import type { Queues } from '@digest/queue';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { sql } from 'kysely';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { within } from '../http/deadline.ts';

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
const COLLECT_TIMEOUT_MS = 2_000;

/**
 * Prometheus metrics of the API process: its HTTP traffic, plus gauges read on each scrape from
 * the shared state every process writes (subscribers, recent deliveries, queue depths), so one
 * scrape target shows the workers' progress too.
 */
export function createMetrics(db: Db, queues: Queues) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method and route',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  new Gauge({
    name: 'digest_subscribers',
    help: 'Subscribers by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await withinTimeout(
        db
          .selectFrom('subscribers')
          .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
          .groupBy('status')
          .execute(),
      );
      for (const row of rows ?? []) this.set({ status: row.status }, Number(row.count));
    },
  });
  new Gauge({
    name: 'digest_deliveries',
    help: 'Deliveries of the issues of the last 7 days, by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await withinTimeout(
        db
          .selectFrom('deliveries')
          .innerJoin('issues', 'issues.id', 'deliveries.issue_id')
          .select(['deliveries.status as status', (eb) => eb.fn.countAll<number>().as('count')])
          .where('issues.created_at', '>', sql<Date>`now() - interval '7 days'`)
          .groupBy('deliveries.status')
          .execute(),
      );
      for (const row of rows ?? []) this.set({ status: row.status }, Number(row.count));
    },
  });
  new Gauge({
    name: 'digest_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      for (const [name, queue] of Object.entries(queues.byName)) {
        const counts = await withinTimeout(queue.getJobCounts(...JOB_STATES));
        for (const state of JOB_STATES) this.set({ queue: name, state }, counts?.[state] ?? 0);
      }
    },
  });

  const observe: MiddlewareHandler = async (c, next) => {
    const stop = duration.startTimer();
    await next();
    // The route pattern, not the path: tokens and dates must not become label values.
    const labels = { method: c.req.method, route: routePath(c, -1) };
    stop(labels);
    requests.inc({ ...labels, status: String(c.res.status) });
  };

  return { registry, observe };
}

/** A scrape must answer even when a store does not: a missing figure beats a hung endpoint. */
function withinTimeout<T>(work: Promise<T>): Promise<T | undefined> {
  return within(work, COLLECT_TIMEOUT_MS).catch(() => undefined);
}
