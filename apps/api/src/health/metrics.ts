import type { Db } from '@digest/db';
import { createRegistry, httpMetrics, type OpenIssueDeliveries, sharedStateMetrics } from '@digest/metrics';
import type { Queues } from '@digest/queue';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';

const COLLECT_TIMEOUT_MS = 2_000;

/**
 * Prometheus metrics of the API process: its HTTP traffic, plus the shared state read on each
 * scrape (queue depths, the progress of issues still sending), so one scrape target shows the
 * whole pipeline. Delivery counters come from the workers' own `/metrics`.
 */
export function createMetrics(db: Db, queues: Queues) {
  const registry = createRegistry();
  const http = httpMetrics(registry);
  sharedStateMetrics(registry, {
    queues: queues.byName,
    openIssues: () => openIssueDeliveries(db),
    timeoutMs: COLLECT_TIMEOUT_MS,
  });

  const observe: MiddlewareHandler = async (c, next) => {
    const started = performance.now();
    await next();
    // The route pattern, not the path: tokens and dates must not become label values.
    const labels = { method: c.req.method, route: routePath(c, -1), status: c.res.status };
    http.observe(labels, (performance.now() - started) / 1000);
  };

  return { registry, observe };
}

/** Only issues still sending: a handful of rows, however long the history. */
function openIssueDeliveries(db: Db): Promise<OpenIssueDeliveries[]> {
  return db
    .selectFrom('deliveries')
    .innerJoin('issues', 'issues.id', 'deliveries.issue_id')
    .where('issues.status', '=', 'sending')
    .select([
      'issues.cadence as cadence',
      'issues.issue_date as date',
      'deliveries.status as status',
      (eb) => eb.fn.countAll<number>().as('count'),
    ])
    .groupBy(['issues.cadence', 'issues.issue_date', 'deliveries.status'])
    .execute()
    .then((rows) => rows.map((row) => ({ ...row, count: Number(row.count) })));
}
