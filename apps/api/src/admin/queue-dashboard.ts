import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import type { Queues } from '@digest/queue';
import { serveStatic } from '@hono/node-server/serve-static';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

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
  return adapter.registerPlugin();
}
