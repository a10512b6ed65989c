import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import type { Queues } from '@digest/queue';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * The site policy, except for what bull-board's page needs: inline styles and a <base> of our
 * own origin. Scripts still only from our origin; its web font from a third party stays blocked
 * (the system font serves).
 */
export const QUEUE_DASHBOARD_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

/**
 * The bull-board UI over every queue of the system; its actions only when `writable` (they can
 * add, retry or drop any job). Session and request checks are the console's middleware.
 */
export function queueDashboard(queues: Queues, writable: boolean) {
  const adapter = new HonoAdapter(serveStatic).setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: Object.values(queues.byName).map(
      (queue) => new BullMQAdapter(queue, { readOnlyMode: !writable }),
    ),
    serverAdapter: adapter,
  });
  return new Hono()
    .use(async (c, next) => {
      await next();
      c.res.headers.set('Content-Security-Policy', QUEUE_DASHBOARD_POLICY);
    })
    .route('/', adapter.registerPlugin());
}
