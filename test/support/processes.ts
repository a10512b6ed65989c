import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * pnpm's own script, run by this Node: `pnpm` through PATH would start via node_modules/.bin/node,
 * a shell shim that does not pass signals on.
 */
const PNPM = realpathSync(execFileSync('which', ['pnpm'], { encoding: 'utf8' }).trim());

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  /** SIGTERM, then the exit code (graceful shutdown must end with 0). */
  stop(): Promise<number | null>;
}

/**
 * Starts one of the package scripts (`pnpm start:api`, …) from the repo root, with `env` on top of
 * this process's environment: the way an operator runs the services, signals included.
 */
export function startScript(script: string, env: Record<string, string>): RunningProcess {
  return startNode([PNPM, '--silent', script], env);
}

/** Starts a service's entry file under this Node directly, so a signal (even SIGKILL) hits the service itself. */
export function startService(entry: string, env: Record<string, string>): RunningProcess {
  return startNode([entry], env);
}

/**
 * Starts a package script's Node command line (`exec node_modules/node/bin/node <args>`) under this
 * Node directly: the same entry and loader flags the operator's `pnpm <script>` runs, with the
 * service as our own child, so a signal (even SIGKILL) hits the service itself.
 */
export function startScriptDirect(script: string, env: Record<string, string>): RunningProcess {
  return startNode(scriptCommand(script), env);
}

/** The arguments a package script (`exec node_modules/node/bin/node …`) gives Node: flags, entry, its arguments. */
export function scriptCommand(script: string): string[] {
  const scripts: Record<string, string> = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ).scripts;
  const command = scripts[script]?.match(/^exec node_modules\/node\/bin\/node (.+)$/)?.[1];
  if (!command) throw new Error(`package.json script ${script} is not "exec node_modules/node/bin/node …"`);
  return command.split(/\s+/);
}

function startNode(args: string[], env: Record<string, string>): RunningProcess {
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

/** Polls `probe` until it returns a value, or fails with the last error after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${lastError}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
