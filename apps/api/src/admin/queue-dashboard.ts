import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import type { Queues } from '@digest/queue';
import { serveStatic } from '@hono/node-server/serve-static';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/** The bull-board UI over every queue of the system (auth is the caller's middleware). */
export function queueDashboard(queues: Queues) {
  const adapter = new HonoAdapter(serveStatic).setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: Object.values(queues.byName).map((queue) => new BullMQAdapter(queue, { readOnlyMode: false })),
    serverAdapter: adapter,
  });
  return adapter.registerPlugin();
}
