/**
 * `pnpm start`: apply migrations, then run the API and the worker as two child processes of
 * this Node. SIGTERM/SIGINT are passed on; when one service stops, the other is stopped too.
 */
import { type ChildProcess, spawn } from 'node:child_process';

function run(...args: string[]): ChildProcess {
  return spawn(process.execPath, args, { stdio: 'inherit' });
}

/** As in `pnpm start:worker`: a small young generation and old-space cap keep the worker's RSS flat (docs/performance.md). */
const WORKER_HEAP_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=192'];

function exitCode(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

const migrated = await exitCode(run('apps/cli/src/main.ts', 'migrate'));
if (migrated !== 0) process.exit(migrated);

const services = [run('apps/api/src/main.ts'), run(...WORKER_HEAP_FLAGS, 'apps/worker/src/main.ts')];
let stopping = false;
/** Once: a service that is already draining its work is not signalled again. */
const stopAll = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  for (const service of services) if (service.exitCode === null) service.kill(signal);
};
process.on('SIGTERM', () => stopAll('SIGTERM'));
process.on('SIGINT', () => stopAll('SIGINT'));

const codes = await Promise.all(
  services.map(async (service) => {
    const code = await exitCode(service);
    stopAll('SIGTERM');
    return code;
  }),
);
process.exit(Math.max(...codes));
