import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './processes.ts';

/** Starts `redis-server` with `args` (no persistence) and resolves once it accepts connections. */
export function spawnRedisServer(args: string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', [...args, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) resolve(child);
    });
    child.once('exit', (code) =>
      reject(new Error(`redis-server ${args.join(' ')} exited (${code}): ${output}`)),
    );
  });
}

export async function stopRedisServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

export interface TestRedisServer {
  url: string;
  /** Stops the server (an outage); `start` brings it back on the same port, empty. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A Redis server of the test's own on a free port, so stopping it disturbs no other test. */
export async function startTestRedisServer(): Promise<TestRedisServer> {
  const port = await freePort();
  let child = await spawnRedisServer(['--port', String(port)]);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => stopRedisServer(child),
    async start() {
      child = await spawnRedisServer(['--port', String(port)]);
    },
  };
}
