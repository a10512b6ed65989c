import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type Db,
  findSubscribersByEmails,
  insertSubscribersIfNew,
  iterateSubscribers,
  type NewSubscriber,
  suppressSubscribers,
} from '@digest/db';
import type { Resources } from '@digest/runtime';
import { CsvError, parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { CliError, expectPositionals, parseCommandArgs, RejectedRecordsError } from './args.ts';
import { describeFileError, type Io, println, quoted } from './io.ts';
import { startProgress } from './progress.ts';
import {
  type CsvHeader,
  EXPORT_COLUMNS,
  exportRow,
  readHeader,
  readRecord,
  SUPPRESSED,
} from './subscriber-csv.ts';

export interface SubscribersImportOptions {
  file: string;
  /** Check every row and count what would change, writing nothing. */
  dryRun: boolean;
}

export interface SubscribersExportOptions {
  /** Standard output when absent. */
  file?: string;
}

export function parseSubscribersImportArgs(args: string[]): SubscribersImportOptions {
  const { values, positionals } = parseCommandArgs('subscribers import', {
    args,
    allowPositionals: true,
    options: { 'dry-run': { type: 'boolean' } },
  });
  const [file] = expectPositionals('subscribers import', positionals, ['<file.csv>']);
  return { file: file as string, dryRun: values['dry-run'] ?? false };
}

export function parseSubscribersExportArgs(args: string[]): SubscribersExportOptions {
  const { positionals } = parseCommandArgs('subscribers export', { args, allowPositionals: true });
  const [file] = expectPositionals('subscribers export', positionals, ['[file.csv]']);
  return { file };
}

export interface SubscribersImportResult {
  dryRun: boolean;
  /** New subscribers (with the status of their row: an unsubscribed row stays unsubscribed). */
  imported: number;
  alreadyKnown: number;
  /** Known active or pending subscribers that a suppressed row (unsubscribed, bounced) suppressed. */
  suppressed: number;
  rejected: number;
  /** `line N: reason`, in line order. */
  problems: string[];
  /** Header columns this import does not use (another tool's `name`, `uuid`, …). */
  ignoredColumns: string[];
}

const INSERT_CHUNK = 1000;
/** Files smaller than this import too fast for a progress bar to help. */
const PROGRESS_MIN_BYTES = 1_000_000;

/**
 * Imports a subscriber CSV (this tool's export, or listmonk's or Mailchimp's), streaming it in
 * chunks so a big list never sits in memory. Good rows are imported, bad ones reported by line;
 * any bad row makes the command fail once the rest is in. Known addresses are never re-activated:
 * an unsubscribed one stays unsubscribed, and a suppressed row suppresses an active one.
 */
export async function importSubscribersFile(
  resources: Pick<Resources, 'db'>,
  options: SubscribersImportOptions,
  io: Io,
): Promise<SubscribersImportResult> {
  const { file, dryRun } = options;
  const input = createReadStream(file);
  const size = await stat(file).then(
    (stats) => stats.size,
    (error: unknown) => {
      throw new CliError(`cannot read ${file}: ${describeFileError(error)}`);
    },
  );
  const parser = input.pipe(
    parse({
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
    }),
  );
  input.once('error', (error) =>
    parser.destroy(new CliError(`cannot read ${file}: ${describeFileError(error)}`)),
  );

  const result: SubscribersImportResult = {
    dryRun,
    imported: 0,
    alreadyKnown: 0,
    suppressed: 0,
    rejected: 0,
    problems: [],
    ignoredColumns: [],
  };
  const progress = startProgress(io, size, dryRun ? 'checking' : 'importing', PROGRESS_MIN_BYTES);
  const reject = (line: number, problem: string) => {
    result.problems.push(`line ${line}: ${problem}`);
    progress.log(`line ${line}: ${problem}`);
  };
  const now = new Date();
  const firstLineOf = new Map<string, number>();
  let header: CsvHeader | undefined;
  let batch: NewSubscriber[] = [];
  let line = 0;
  const rejectedLines = new Set<number>();
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      line = info.lines;
      if (!header) {
        const read = readHeader(record);
        if ('problem' in read) throw new CliError(`${file}: line ${line}: ${read.problem}`);
        header = read;
        result.ignoredColumns = read.ignored;
        continue;
      }
      const row = readRecord(header, record, now);
      if ('problems' in row) {
        rejectedLines.add(line);
        for (const problem of row.problems) reject(line, problem);
        continue;
      }
      const key = row.subscriber.email.toLowerCase();
      const firstLine = firstLineOf.get(key);
      if (firstLine !== undefined) {
        rejectedLines.add(line);
        reject(line, `${row.subscriber.email} is a duplicate of line ${firstLine}`);
        continue;
      }
      firstLineOf.set(key, line);
      batch.push(row.subscriber);
      if (batch.length >= INSERT_CHUNK) {
        await storeChunk(resources.db, batch, dryRun, result);
        batch = [];
        progress.update(input.bytesRead);
      }
    }
    await storeChunk(resources.db, batch, dryRun, result);
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    // The rows read before the error are stored like any. The parser finds some errors (an
    // unclosed quote) only at the end, dropping rows it had read ahead: the message says up to
    // which line the import got.
    await storeChunk(resources.db, batch, dryRun, result);
    const stored = `${result.imported} new, ${result.alreadyKnown} already known`;
    const kept =
      dryRun || !header ? '' : `; its good rows up to line ${line} were imported (${stored}), none after it`;
    throw new CliError(`${file} is not valid CSV (${error.message})${kept}`);
  } finally {
    progress.stop();
  }
  if (!header) throw new CliError(`${file} is empty: expected a header row naming an email column`);
  result.rejected = rejectedLines.size;

  println(io.stdout, summary(result));
  if (result.rejected > 0) {
    const rows = `${result.rejected} row${result.rejected > 1 ? 's' : ''}`;
    throw new RejectedRecordsError(`${rows} of ${file} rejected`, result);
  }
  return result;
}

/** Inserts a chunk (or, on a dry run, counts what inserting it would do). */
async function storeChunk(
  db: Db,
  chunk: NewSubscriber[],
  dryRun: boolean,
  result: SubscribersImportResult,
): Promise<void> {
  if (chunk.length === 0) return;
  if (dryRun) {
    const known = new Map(
      (
        await findSubscribersByEmails(
          db,
          chunk.map((row) => row.email),
        )
      ).map((row) => [row.email.toLowerCase(), row]),
    );
    result.alreadyKnown += known.size;
    result.imported += chunk.length - known.size;
    result.suppressed += chunk.filter((row) => {
      const status = known.get(row.email.toLowerCase())?.status;
      return SUPPRESSED.includes(row.status ?? 'active') && (status === 'active' || status === 'pending');
    }).length;
    return;
  }
  await db.transaction().execute(async (trx) => {
    const inserted = await insertSubscribersIfNew(trx, chunk);
    result.imported += inserted;
    result.alreadyKnown += chunk.length - inserted;
    for (const status of ['unsubscribed', 'bounced', 'complained'] as const) {
      const emails = chunk.filter((row) => row.status === status).map((row) => row.email);
      result.suppressed += await suppressSubscribers(trx, emails, status);
    }
  });
}

function summary(result: SubscribersImportResult): string {
  const parts = [
    `${result.dryRun ? 'would import' : 'imported'} ${result.imported}`,
    `already known ${result.alreadyKnown}`,
  ];
  if (result.suppressed > 0)
    parts.push(`${result.dryRun ? 'would suppress' : 'suppressed'} ${result.suppressed}`);
  if (result.rejected > 0) parts.push(`rejected ${result.rejected}`);
  const ignored =
    result.ignoredColumns.length > 0
      ? ` (ignored column${result.ignoredColumns.length > 1 ? 's' : ''} ${result.ignoredColumns.map((name) => quoted(name)).join(', ')})`
      : '';
  return `${parts.join(', ')}${ignored}${result.dryRun ? '; nothing was written (--dry-run)' : ''}`;
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
