import { type ParseArgsConfig, parseArgs } from 'node:util';
import { isIsoDate } from '@digest/core';
import type { Cadence } from '@digest/db';
import { cadenceSchema } from '@digest/subscribers';

/** An expected failure (bad arguments, bad file, unknown issue): its message is all the user sees. */
export class CliError extends Error {
  override name = 'CliError';
}

/** Bad arguments: the command did not start (exit code 2). */
export class UsageError extends CliError {
  override name = 'UsageError';
}

/**
 * The command did its work but rejected some records (rows of a CSV, papers of a file): exit
 * code 1, with the result still printed (as JSON with --json).
 */
export class RejectedRecordsError extends CliError {
  override name = 'RejectedRecordsError';

  readonly result: unknown;

  constructor(message: string, result: unknown) {
    super(message);
    this.result = result;
  }
}

/** `node:util` parseArgs, strict, with its errors turned into one-line CliErrors. */
export function parseCommandArgs<const T extends Omit<ParseArgsConfig, 'strict'>>(
  command: string,
  config: T,
) {
  try {
    return parseArgs({ ...config, strict: true });
  } catch (error) {
    if (isParseArgsError(error)) {
      // Node's messages go on with advice about `--`; the first sentence is the useful part.
      const [firstSentence] = error.message.split(/\.\s/);
      throw new UsageError(`${command}: ${firstSentence?.replace(/\.$/, '')} (see pnpm cli --help)`);
    }
    throw error;
  }
}

/** Checks the positional arguments against their names; `[name]` marks an optional one. */
export function expectPositionals(
  command: string,
  positionals: string[],
  names: string[],
): (string | undefined)[] {
  const required = names.filter((name) => !name.startsWith('['));
  if (positionals.length < required.length) {
    throw new UsageError(
      `${command}: missing ${required.slice(positionals.length).join(' ')} (see pnpm cli --help)`,
    );
  }
  if (positionals.length > names.length) {
    throw new UsageError(
      `${command}: unexpected argument "${positionals[names.length]}" (see pnpm cli --help)`,
    );
  }
  return names.map((_, index) => positionals[index]);
}

export function parseDate(value: string): string {
  if (!isIsoDate(value)) throw new UsageError(`--date ${value} is not a valid date (expected YYYY-MM-DD)`);
  return value;
}

export function requireDate(command: string, value: string | undefined): string {
  if (value === undefined) throw new UsageError(`${command}: --date YYYY-MM-DD is required`);
  return parseDate(value);
}

export function parseCadence(value: string | undefined): Cadence {
  const parsed = cadenceSchema.safeParse(value?.trim().toLowerCase() ?? 'daily');
  if (!parsed.success) throw new UsageError(`--cadence ${value} is not valid: expected daily or weekly`);
  return parsed.data;
}

function isParseArgsError(error: unknown): error is Error & { code: string } {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    error.code.startsWith('ERR_PARSE_ARGS_')
  );
}
