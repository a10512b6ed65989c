import { oneLine } from '@digest/core';
import { type ImportResult, importPapers } from '@digest/digest';
import type { Resources } from '@digest/runtime';
import { CliError, expectPositionals, parseCommandArgs, RejectedRecordsError } from './args.ts';
import { type Io, println, quoted, readInputFile } from './io.ts';

export interface PapersImportOptions {
  file: string;
}

export function parsePapersImportArgs(args: string[]): PapersImportOptions {
  const { positionals } = parseCommandArgs('papers import', { args, allowPositionals: true });
  const [file] = expectPositionals('papers import', positionals, ['<file.json>']);
  return { file: file as string };
}

/** Above this many papers, the import reports its progress as it writes. */
const PROGRESS_FROM = 1000;

/**
 * Imports a JSON array of papers. Unusable records are reported and skipped; a file that is not a
 * JSON array stores nothing.
 */
export async function importPapersFile(
  resources: Pick<Resources, 'db' | 'config'>,
  options: PapersImportOptions,
  io: Io,
): Promise<ImportResult> {
  const text = await readInputFile(options.file);
  let input: unknown;
  try {
    // A byte order mark, which some editors write, is not JSON but means nothing here either.
    input = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    // JSON.parse quotes the start of the text, newlines included.
    throw new CliError(`${options.file} is not valid JSON: ${oneLine((error as Error).message)}`);
  }
  if (!Array.isArray(input)) {
    throw new CliError(
      `${options.file} is not a JSON array of papers (Hugging Face daily_papers items or flat paper objects)`,
    );
  }

  const result = await importPapers(resources.db, input, {
    timeZone: resources.config.DIGEST_TZ,
    onProgress: (done, total) => {
      if (total >= PROGRESS_FROM) println(io.stderr, `stored ${done}/${total} papers`);
    },
  });

  const { received, inserted, updated, merged, rejected } = result;
  const duplicates = merged > 0 ? `, merged ${merged} (the same id as a later record, which was kept)` : '';
  println(
    io.stdout,
    `received ${received}, inserted ${inserted}, updated ${updated}, rejected ${rejected.length}${duplicates}`,
  );
  for (const record of rejected) {
    const title = record.title === undefined ? '' : ` ${quoted(record.title)}`;
    println(io.stdout, `  #${record.index}${title}: ${record.reason}`);
  }
  if (rejected.length > 0) {
    const records = `${rejected.length} record${rejected.length > 1 ? 's' : ''}`;
    throw new RejectedRecordsError(`${records} of ${options.file} rejected`, result);
  }
  return result;
}
