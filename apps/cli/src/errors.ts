import { ConfigError } from '@digest/config';
import { AppError } from '@digest/core';
import { CliError } from './args.ts';

const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
]);

/**
 * The message for a failure the user can act on, or undefined for a bug (whose stack should be
 * shown).
 */
export function expectedErrorMessage(error: unknown): string | undefined {
  if (error instanceof CliError || error instanceof ConfigError || error instanceof AppError)
    return error.message;
  const network = networkError(error);
  if (network) return `cannot reach the database (DATABASE_URL): ${network}`;
  if (isPostgresError(error)) {
    // 42P01: undefined table.
    const hint = error.code === '42P01' ? ' (run `pnpm migrate` first)' : '';
    return `database error: ${error.message}${hint}`;
  }
  return undefined;
}

/** pg reports a refused connection to "localhost" as an AggregateError of one per address. */
function networkError(error: unknown): string | undefined {
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const message = networkError(inner);
      if (message) return message;
    }
    return undefined;
  }
  if (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    NETWORK_ERRORS.has(error.code)
  ) {
    return error.message || error.code;
  }
  // pg's connect timeout: the port answers TCP but not as Postgres (or not at all).
  if (
    error instanceof Error &&
    /^(timeout expired|Connection terminated due to connection timeout)$/.test(error.message)
  ) {
    return 'no answer from a Postgres server in time (is that the right host and port?)';
  }
  return undefined;
}

/** A server-side error from pg: it carries a severity and a five-character SQLSTATE code. */
function isPostgresError(error: unknown): error is Error & { code: string } {
  return (
    error instanceof Error &&
    'severity' in error &&
    'code' in error &&
    typeof error.code === 'string' &&
    /^[0-9A-Z]{5}$/.test(error.code)
  );
}
