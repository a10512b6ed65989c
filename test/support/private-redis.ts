import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { eventually, freePort } from './processes.ts';

export interface PrivateRedis {
  url: string;
  /** Every key gone at once, as when Redis restarts without persistence. */
  flushAll(): Promise<void>;
  /** Stops the server (nothing is saved), leaving the port closed until `start`. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
}

/** A redis-server of the test's own on a free port, without persistence: flushing it hurts no one else. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;

  const withClient = async <T>(work: (client: Redis) => Promise<T>): Promise<T> => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    // A refused connection (the server still starting) rejects `connect`; the event adds nothing.
    client.on('error', () => {});
    try {
      await client.connect();
      return await work(client);
    } finally {
      client.disconnect();
    }
  };

  const redis: PrivateRedis = {
    url,
    flushAll: () => withClient(async (client) => void (await client.flushall())),
    async start() {
      const child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      server = child;
      await eventually(() => withClient((client) => client.ping()), 10_000, `redis-server on port ${port}`);
    },
    async stop() {
      const child = server;
      server = undefined;
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
  await redis.start();
  return redis;
}
