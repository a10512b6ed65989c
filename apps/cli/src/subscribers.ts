import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { insertSubscribersIfNew, iterateSubscribers, type NewSubscriber } from '@digest/db';
import type { Resources } from '@digest/runtime';
import { stringify } from 'csv-stringify';
import { CliError, expectPositionals, parseCommandArgs } from './args.ts';
import { describeFileError, type Io, println, readInputFile } from './io.ts';
import { EXPORT_COLUMNS, exportRow, parseSubscriberCsv } from './subscriber-csv.ts';

export interface SubscribersImportOptions {
  file: string;
}

export interface SubscribersExportOptions {
  /** Standard output when absent. */
  file?: string;
}

export function parseSubscribersImportArgs(args: string[]): SubscribersImportOptions {
  const { positionals } = parseCommandArgs('subscribers import', { args, allowPositionals: true });
  const [file] = expectPositionals('subscribers import', positionals, ['<file.csv>']);
  return { file: file as string };
}

export function parseSubscribersExportArgs(args: string[]): SubscribersExportOptions {
  const { positionals } = parseCommandArgs('subscribers export', { args, allowPositionals: true });
  const [file] = expectPositionals('subscribers export', positionals, ['[file.csv]']);
  return { file };
}

export interface SubscribersImportResult {
  imported: number;
  alreadyKnown: number;
  /** Rows of an export whose status is not active: never turned into active subscribers. */
  notActive: number;
}

const INSERT_CHUNK = 1000;

/**
 * Imports a subscriber CSV as active, consented-by-import subscribers. Every row is checked first:
 * one bad row and nothing is imported. Known addresses are left as they are (an unsubscribed
 * address stays unsubscribed).
 */
export async function importSubscribersFile(
  resources: Pick<Resources, 'db'>,
  options: SubscribersImportOptions,
  io: Io,
): Promise<SubscribersImportResult> {
  const { rows, problems } = parseSubscriberCsv(await readInputFile(options.file), options.file);
  if (problems.length > 0) {
    const count = `${problems.length} problem${problems.length > 1 ? 's' : ''}`;
    throw new CliError([`${options.file} has ${count}; nothing was imported:`, ...problems].join('\n'));
  }

  const now = new Date();
  const active = rows.filter((row) => row.status === 'active');
  const subscribers: NewSubscriber[] = active.map((row) => ({
    email: row.email,
    cadence: row.cadence,
    keywords: row.keywords,
    status: 'active',
    consent_source: 'import',
    consent_at: now,
    confirmed_at: now,
  }));
  const imported = await resources.db.transaction().execute(async (trx) => {
    let inserted = 0;
    for (let start = 0; start < subscribers.length; start += INSERT_CHUNK) {
      inserted += await insertSubscribersIfNew(trx, subscribers.slice(start, start + INSERT_CHUNK));
    }
    return inserted;
  });

  const result = { imported, alreadyKnown: active.length - imported, notActive: rows.length - active.length };
  const notActive = result.notActive > 0 ? `, not imported ${result.notActive} (status not active)` : '';
  println(io.stdout, `imported ${result.imported}, already known ${result.alreadyKnown}${notActive}`);
  return result;
}

/** Streams every subscriber as CSV, a page at a time, to the file or standard output. */
export async function exportSubscribers(
  resources: Pick<Resources, 'db'>,
  options: SubscribersExportOptions,
  io: Io,
): Promise<number> {
  let count = 0;
  async function* records() {
    for await (const subscriber of iterateSubscribers(resources.db)) {
      count++;
      yield exportRow(subscriber);
    }
  }
  const csv = stringify({ header: true, columns: [...EXPORT_COLUMNS] });

  if (options.file === undefined) {
    await pipeline(Readable.from(records()), csv, io.stdout, { end: false });
    println(io.stderr, `exported ${count} subscribers`);
    return count;
  }
  const file = options.file;
  try {
    await pipeline(Readable.from(records()), csv, createWriteStream(file));
  } catch (error) {
    if (error instanceof Error && 'syscall' in error) {
      throw new CliError(`cannot write ${file}: ${describeFileError(error)}`);
    }
    throw error;
  }
  println(io.stdout, `exported ${count} subscribers to ${file}`);
  return count;
}
