import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countPapers } from '@digest/db';
import type { ImportResult } from '@digest/digest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { CliError, RejectedRecordsError } from './args.ts';
import { importPapersFile, parsePapersImportArgs } from './papers.ts';
import { captureIo, FIXTURES, testConfig } from './testing.ts';

describe('papers import', () => {
  let database: TestDatabase;
  let resources: Parameters<typeof importPapersFile>[0];
  let scratch: string;

  beforeEach(async () => {
    database = await createTestDatabase();
    resources = { db: database.db, config: testConfig(database.url) };
    scratch = await mkdtemp(join(tmpdir(), 'cli-papers-'));
  });

  afterEach(async () => {
    await database.drop();
    await rm(scratch, { recursive: true, force: true });
  });

  /** An import that rejected some records: it stores the rest, then fails with its result. */
  async function importRejecting(file: string, io = captureIo().io): Promise<ImportResult> {
    const error = await importPapersFile(resources, { file }, io).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(RejectedRecordsError);
    expect((error as Error).message).toMatch(/^\d+ records? of .* rejected$/);
    return (error as RejectedRecordsError).result as ImportResult;
  }

  it('stores the 44 dated papers of the Daily Papers export, names the 2 undated ones and fails', async () => {
    const output = captureIo();
    const result = await importRejecting(`${FIXTURES}daily-papers.json`, output.io);

    expect(result).toMatchObject({ received: 46, inserted: 44, updated: 0 });
    expect(result.rejected.map((record) => record.index)).toEqual([41, 45]);
    expect(await countPapers(database.db)).toBe(44);
    const lines = output.stdout().trimEnd().split('\n');
    expect(lines[0]).toBe('received 46, inserted 44, updated 0, rejected 2');
    expect(lines[1]).toMatch(/^ {2}#41 "LuMamba: Latent Unified Mamba for .*": no date/);
    expect(lines[2]).toMatch(/^ {2}#45 "Meta-learning In-Context Enables Training-Free .*": no date/);
    expect(lines).toHaveLength(3);
  });

  it('updates on a second import and never duplicates', async () => {
    const file = `${FIXTURES}daily-papers.json`;
    await importRejecting(file);
    const output = captureIo();
    const again = await importRejecting(file, output.io);

    expect(again).toMatchObject({ received: 46, inserted: 0, updated: 44 });
    expect(output.stdout()).toMatch(/^received 46, inserted 0, updated 44, rejected 2\n/);
    expect(await countPapers(database.db)).toBe(44);
  });

  it('stores the 15 papers of the Hugging Face daily_papers sample', async () => {
    const output = captureIo();
    const result = await importPapersFile(
      resources,
      { file: `${FIXTURES}hf-daily-papers-sample.json` },
      output.io,
    );

    expect(result).toMatchObject({ received: 15, inserted: 15, updated: 0, rejected: [] });
    expect(output.stdout()).toBe('received 15, inserted 15, updated 0, rejected 0\n');
    expect(await countPapers(database.db)).toBe(15);
  });

  it('says how many records shared an id with a later one, which was kept', async () => {
    const file = join(scratch, 'twice.json');
    const paper = { id: '2605.00001', featuredAt: '2026-05-22' };
    await writeFile(
      file,
      JSON.stringify([
        { ...paper, title: 'First' },
        { ...paper, title: 'Second' },
      ]),
    );
    const output = captureIo();
    expect(await importPapersFile(resources, { file }, output.io)).toMatchObject({ inserted: 1, merged: 1 });
    expect(output.stdout()).toBe(
      'received 2, inserted 1, updated 0, rejected 0, merged 1 (the same id as a later record, which was kept)\n',
    );
  });

  it('reads a file that starts with a byte order mark', async () => {
    const file = join(scratch, 'bom.json');
    await writeFile(file, `\uFEFF${JSON.stringify([{ title: 'Marked', featuredAt: '2026-05-22' }])}`);
    expect(await importPapersFile(resources, { file }, captureIo().io)).toMatchObject({ inserted: 1 });
  });

  it('reports its progress on stderr for a large file', async () => {
    const papers = Array.from({ length: 1200 }, (_, index) => ({
      title: `Paper number ${index}`,
      publishedAt: '2026-05-22',
      upvotes: index % 50,
    }));
    const file = join(scratch, 'large.json');
    await writeFile(file, JSON.stringify(papers));
    const output = captureIo();
    await importPapersFile(resources, { file }, output.io);

    expect(output.stderr()).toBe(
      'stored 500/1200 papers\nstored 1000/1200 papers\nstored 1200/1200 papers\n',
    );
    expect(output.stdout()).toBe('received 1200, inserted 1200, updated 0, rejected 0\n');
    expect(await countPapers(database.db)).toBe(1200);
  });

  it('refuses a file that is not JSON, or not an array, and stores nothing', async () => {
    const notJson = join(scratch, 'papers.json');
    await writeFile(notJson, '[{"title": "half a paper"');
    await expect(importPapersFile(resources, { file: notJson }, captureIo().io)).rejects.toThrow(
      new RegExp(`^${notJson} is not valid JSON: `),
    );

    const notArray = join(scratch, 'object.json');
    await writeFile(notArray, '{"papers": []}');
    await expect(importPapersFile(resources, { file: notArray }, captureIo().io)).rejects.toThrow(
      /is not a JSON array of papers/,
    );
    expect(await countPapers(database.db)).toBe(0);
  });

  it('says which file it cannot read', async () => {
    const missing = join(scratch, 'missing.json');
    const attempt = importPapersFile(resources, { file: missing }, captureIo().io);
    await expect(attempt).rejects.toBeInstanceOf(CliError);
    await expect(attempt).rejects.toThrow(`cannot read ${missing}: no such file or directory`);
  });

  it('takes exactly one file argument', () => {
    expect(parsePapersImportArgs(['papers.json'])).toEqual({ file: 'papers.json' });
    expect(() => parsePapersImportArgs([])).toThrow(/missing <file.json>/);
    expect(() => parsePapersImportArgs(['a.json', 'b.json'])).toThrow(/unexpected argument "b.json"/);
    expect(() => parsePapersImportArgs(['--force', 'a.json'])).toThrow(/Unknown option '--force'/);
  });
});
