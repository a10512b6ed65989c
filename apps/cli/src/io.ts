import { readFile, writeFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { CliError } from './args.ts';

/** Where a command writes: results and data on stdout, progress and notes on stderr. */
export interface Io {
  stdout: Writable;
  stderr: Writable;
}

export function println(stream: Writable, text: string): void {
  stream.write(`${text}\n`);
}

export async function readInputFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${describeFileError(error)}`);
  }
}

export async function writeOutputFile(file: string, content: string): Promise<void> {
  try {
    await writeFile(file, content);
  } catch (error) {
    throw new CliError(`cannot write ${file}: ${describeFileError(error)}`);
  }
}

export function describeFileError(error: unknown): string {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Quotes text from the outside world for a terminal line: control characters come out escaped.
 * `max` shortens it (for values quoted inside an error message).
 */
export function quoted(text: string, max = Number.POSITIVE_INFINITY): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max - 1)}…` : text);
}
