import { Writable } from 'node:stream';
import { type Config, loadConfig } from '@digest/config';
import { openResources } from '@digest/runtime';
import { RejectedRecordsError, UsageError } from './args.ts';
import { COMMANDS, commandUsage, findCommand, usage } from './commands.ts';
import { expectedErrorMessage } from './errors.ts';
import { type Io, println } from './io.ts';

/** Documented in the README and in --help. */
const EXIT = { failure: 1, usage: 2 } as const;

const CLOSE_DEADLINE_MS = 5000;

async function main(argv: string[], io: Io): Promise<void> {
  const options = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  const help = options.includes('--help') || options.includes('-h');
  const found = findCommand(argv);
  if (argv.length === 0 || (help && !found)) {
    println(io.stdout, usage());
    return;
  }
  if (!found) {
    // A group named alone (`pnpm cli digest`): its commands, not a bare "unknown".
    const group = Object.keys(COMMANDS).filter((name) => name.startsWith(`${argv[0]} `));
    const hint = group.length > 0 ? `: ${group.join(', ')}` : '';
    throw new UsageError(`unknown command "${argv.slice(0, 2).join(' ')}"${hint} (see pnpm cli --help)`);
  }
  if (help) {
    println(io.stdout, commandUsage(found.command));
    return;
  }
  const json = options.includes('--json');
  if (json && found.command.json === false) {
    throw new UsageError(`${found.name} prints a document, not a result: it has no --json`);
  }
  const run = found.command.prepare(json ? found.args.filter((arg) => arg !== '--json') : found.args);

  const config = loadConfig();
  const resources = openResources(withCliLogLevel(config), 'cli', { logTo: 'stderr' });
  // With --json the command's own lines give way to its result, printed once as JSON.
  const printJson = (result: unknown) => println(io.stdout, JSON.stringify(result ?? null));
  try {
    const result = await run(resources, json ? { stdout: discard(), stderr: io.stderr } : io);
    if (json) printJson(result);
  } catch (error) {
    if (json && error instanceof RejectedRecordsError) printJson(error.result);
    fail(error, io);
  } finally {
    await closeWithin(resources.close(), CLOSE_DEADLINE_MS, io);
  }
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

/** One line for an expected failure; the stack for anything else. Bad arguments exit 2, the rest 1. */
function fail(error: unknown, io: Io): void {
  const message = expectedErrorMessage(error);
  println(io.stderr, message === undefined ? String((error as Error)?.stack ?? error) : `error: ${message}`);
  process.exitCode = error instanceof UsageError ? EXIT.usage : EXIT.failure;
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
// Output piped to a reader that stopped (`| head`): nothing more is wanted, and nothing is wrong.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});
await main(process.argv.slice(2), io).catch((error: unknown) => fail(error, io));
