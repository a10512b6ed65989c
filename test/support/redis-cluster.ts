import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { eventually } from './processes.ts';
import { spawnRedisServer, stopRedisServer } from './redis-server.ts';

const run = promisify(execFile);
/** A cluster node also listens on its port + 10000 for the cluster bus. */
const BUS_OFFSET = 10_000;

export interface TestRedisCluster {
  /** `redis+cluster://` URL of the first node, as REDIS_URL takes it. */
  url: string;
  ports: number[];
  close(): Promise<void>;
}

/**
 * A real Redis Cluster of `size` primaries (no replicas) on loopback ports, its files in a temporary
 * directory; `close` stops the servers and removes the directory.
 */
export async function startRedisCluster(size = 3): Promise<TestRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'digest-redis-cluster-'));
  const servers: ChildProcess[] = [];
  const close = async () => {
    await Promise.all(servers.map(stopRedisServer));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    while (ports.length < size) {
      const port = await freeClusterPort();
      if (!ports.includes(port)) ports.push(port);
    }
    for (const port of ports) servers.push(await startNode(dir, port));
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    // Assigns the 16384 slots and waits until every node agrees on the configuration.
    await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) await waitForClusterOk(port);
    return { url: `redis+cluster://127.0.0.1:${ports[0]}`, ports, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function startNode(dir: string, port: number): Promise<ChildProcess> {
  return spawnRedisServer([
    ...['--port', String(port), '--dir', dir],
    ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
  ]);
}

async function waitForClusterOk(port: number): Promise<void> {
  const redis = new Redis(port, '127.0.0.1');
  try {
    await eventually(
      async () => ((await redis.cluster('INFO')).includes('cluster_state:ok') ? true : undefined),
      10_000,
      `cluster_state:ok on ${port}`,
    );
  } finally {
    redis.disconnect();
  }
}

/** A port below 55536 that is free, and whose cluster bus port is free too. */
async function freeClusterPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await isFree(port)) && (await isFree(port + BUS_OFFSET))) return port;
  }
}

function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
