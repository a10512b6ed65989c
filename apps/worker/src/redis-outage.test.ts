import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { eventually, freePort, type RunningProcess, startService } from '../../../test/support/processes.ts';
import { spawnRedisServer, stopRedisServer } from '../../../test/support/redis-server.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The worker's log lines (JSON) whose message matches. */
const lines = (worker: RunningProcess, message: RegExp) =>
  worker
    .output()
    .split('\n')
    .filter((line) => message.test(line));

it('tells a Redis outage once, however often its connections retry, and tells when Redis is back', async () => {
  const port = await freePort();
  let redis = await spawnRedisServer(['--port', String(port)]);
  const database: TestDatabase = await createTestDatabase();
  const smtp: TestSmtpServer = await startTestSmtpServer();
  cleanups.push(database.drop, smtp.close, () => stopRedisServer(redis));
  const worker = startService('apps/worker/src/main.ts', {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL: `redis://127.0.0.1:${port}`,
    QUEUE_PREFIX: 'outage-log',
    SMTP_URL: smtp.url,
    METRICS_PORT: String(await freePort()),
    LOG_LEVEL: 'info',
  });
  cleanups.push(() => worker.stop());
  await eventually(
    async () => lines(worker, /workers started/).length > 0 || undefined,
    30_000,
    'the worker',
  );

  // Redis goes away; in its place a port that hangs up on every connection, counting them, until
  // the worker's clients have tried again many times.
  await stopRedisServer(redis);
  let attempts = 0;
  const enoughAttempts = Promise.withResolvers<void>();
  const refuser = createServer((socket: Socket) => {
    socket.destroy();
    if (++attempts === 20) enoughAttempts.resolve();
  });
  refuser.listen(port, '127.0.0.1');
  await once(refuser, 'listening');
  await enoughAttempts.promise;
  await new Promise((resolve) => refuser.close(resolve));
  redis = await spawnRedisServer(['--port', String(port)]);
  await eventually(
    async () => lines(worker, /redis connection back/).length > 0 || undefined,
    30_000,
    'the worker to see Redis back',
  );

  expect(lines(worker, /retrying until Redis answers/)).toHaveLength(1);
  expect(lines(worker, /"level":50/)).toEqual([]);
});
