import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from '../support/processes.ts';

export interface Service {
  pid: number;
  /** VmRSS now and VmHWM (the peak since the process started), in MB. */
  rssMb(): { now: number; peak: number };
  /** SIGTERM, then waits for the exit (a CPU profile is written then). */
  stop(): Promise<void>;
}

/**
 * Starts an entry file (and its arguments) the way `pnpm start:worker` / `start:api` run it in production (this Node,
 * type stripping, no loader and no package manager in between), resolving once its output
 * matches `ready`.
 */
export function startService(
  [entry, ...args]: [string, ...string[]],
  env: Record<string, string>,
  ready: RegExp,
  nodeArgs: string[] = [],
): Promise<Service> {
  const child = spawn(process.execPath, [...nodeArgs, entry, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} not ready within 30 s:\n${output}`)), 30_000);
    const onData = () => {
      if (!ready.test(output)) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve(service(child, exited));
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited (code ${code}):\n${output}`));
    });
  });
}

function service(child: ChildProcess, exited: Promise<void>): Service {
  const pid = child.pid as number;
  return {
    pid,
    rssMb: () => {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
      return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
