import { type Config, loadConfig } from '@digest/config';
import { openResources } from '@digest/runtime';
import { CliError } from './args.ts';
import { findCommand, usage } from './commands.ts';
import { expectedErrorMessage } from './errors.ts';
import { type Io, println } from './io.ts';

const CLOSE_DEADLINE_MS = 5000;

async function main(argv: string[], io: Io): Promise<void> {
  const beforeOptionsEnd = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  if (argv.length === 0 || beforeOptionsEnd.includes('--help') || beforeOptionsEnd.includes('-h')) {
    println(io.stdout, usage());
    return;
  }
  const found = findCommand(argv);
  if (!found) {
    throw new CliError(`unknown command "${argv.slice(0, 2).join(' ')}" (see pnpm cli --help)`);
  }
  const run = found.command.prepare(found.args);

  const config = loadConfig();
  const resources = openResources(withCliLogLevel(config), 'cli', { logTo: 'stderr' });
  try {
    await run(resources, io);
  } catch (error) {
    fail(error, io);
  } finally {
    await closeWithin(resources.close(), CLOSE_DEADLINE_MS, io);
  }
}

/** One line for an expected failure; the stack for anything else. Either way the exit code is 1. */
function fail(error: unknown, io: Io): void {
  const message = expectedErrorMessage(error);
  println(io.stderr, message === undefined ? String((error as Error)?.stack ?? error) : `error: ${message}`);
  process.exitCode = 1;
}

/**
 * The CLI prints what it did itself; service logs (JSON on stderr) would only repeat it, so
 * only warnings show unless debug or trace logging is asked for.
 */
function withCliLogLevel(config: Config): Config {
  const verbose = config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace';
  return verbose ? config : { ...config, LOG_LEVEL: 'warn' };
}

/** A connection that will not close (a server gone away) must not keep the process alive. */
async function closeWithin(closing: Promise<void>, deadlineMs: number, io: Io): Promise<void> {
  const deadline = setTimeout(() => {
    println(io.stderr, 'connections did not close in time; exiting');
    process.exit(process.exitCode ?? 0);
  }, deadlineMs);
  try {
    await closing;
  } catch (error) {
    println(io.stderr, `closing connections failed: ${(error as Error).message}`);
  } finally {
    clearTimeout(deadline);
  }
}

const io: Io = { stdout: process.stdout, stderr: process.stderr };
await main(process.argv.slice(2), io).catch((error: unknown) => fail(error, io));
