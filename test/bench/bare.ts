/**
 * The load test's reference: a bare Hono endpoint on @hono/node-server that parses the same JSON
 * body and answers 202, run as a child process like the API: `node test/bench/bare.ts <port>`.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono().post('/api/subscribe', async (c) => {
  const body = (await c.req.json()) as { email?: unknown };
  return c.json({ status: 'pending', email: typeof body.email }, 202);
});
const server = serve({ fetch: app.fetch, port: Number(process.argv[2]), hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`bare listening on ${info.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
