import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSubscriberByEmail, insertSubscriber, iterateSubscribers, type Subscriber } from '@digest/db';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { CliError } from './args.ts';
import { joinKeywords, parseSubscriberCsv, splitKeywords } from './subscriber-csv.ts';
import { exportSubscribers, importSubscribersFile } from './subscribers.ts';
import { captureIo } from './testing.ts';

describe('subscribers import and export', () => {
  let database: TestDatabase;
  let scratch: string;

  beforeEach(async () => {
    database = await createTestDatabase();
    scratch = await mkdtemp(join(tmpdir(), 'cli-subscribers-'));
  });

  afterEach(async () => {
    await database.drop();
    await rm(scratch, { recursive: true, force: true });
  });

  async function csvFile(name: string, content: string): Promise<string> {
    const file = join(scratch, name);
    await writeFile(file, content);
    return file;
  }

  async function allSubscribers(db = database.db): Promise<Subscriber[]> {
    const subscribers: Subscriber[] = [];
    for await (const subscriber of iterateSubscribers(db)) subscribers.push(subscriber);
    return subscribers;
  }

  it('imports nothing when a row is bad, naming every bad line', async () => {
    const file = await csvFile(
      'bad.csv',
      [
        'email,cadence,keywords',
        'ann@example.org,daily,llm',
        'not-an-address,daily,',
        'bob@example.org,hourly,',
        'ANN@example.org,weekly,',
        'carol@example.org,daily,x,extra',
      ].join('\n'),
    );
    const error = await importSubscribersFile({ db: database.db }, { file }, captureIo().io).then(
      () => undefined,
      (failure: Error) => failure,
    );

    expect(error).toBeInstanceOf(CliError);
    const [summary, ...problems] = error?.message.split('\n') ?? [];
    expect(summary).toBe(`${file} has 4 problems; nothing was imported:`);
    expect(problems).toEqual([
      'line 3: email is not a valid address ("not-an-address")',
      'line 4: cadence must be "daily" or "weekly" ("hourly")',
      'line 5: ANN@example.org is a duplicate of line 2',
      'line 6: expected at most 3 fields, found 4',
    ]);
    expect(await allSubscribers()).toEqual([]);
  });

  it('imports valid rows as active, consented by import; columns in any order and case, BOM tolerated', async () => {
    const file = await csvFile(
      'good.csv',
      '\uFEFFKeywords,EMAIL,Cadence\r\n' +
        '"LLM agents",ann@example.org,weekly\r\n' +
        'large language models;robotics,bob@example.org,\r\n' +
        ',carol@example.org,DAILY\r\n',
    );
    const output = captureIo();
    const result = await importSubscribersFile({ db: database.db }, { file }, output.io);

    expect(result).toEqual({ imported: 3, alreadyKnown: 0, notActive: 0 });
    expect(output.stdout()).toBe('imported 3, already known 0\n');
    const rows = await allSubscribers();
    expect(
      rows.map(({ email, cadence, keywords, status, consent_source }) => ({
        email,
        cadence,
        keywords,
        status,
        consent_source,
      })),
    ).toEqual([
      {
        email: 'ann@example.org',
        cadence: 'weekly',
        keywords: ['llm', 'agents'],
        status: 'active',
        consent_source: 'import',
      },
      {
        email: 'bob@example.org',
        cadence: 'daily',
        keywords: ['large language models', 'robotics'],
        status: 'active',
        consent_source: 'import',
      },
      {
        email: 'carol@example.org',
        cadence: 'daily',
        keywords: [],
        status: 'active',
        consent_source: 'import',
      },
    ]);
    expect(rows.every((row) => row.confirmed_at instanceof Date)).toBe(true);
  });

  it('leaves known addresses alone: an unsubscribed address stays unsubscribed', async () => {
    await insertSubscriber(database.db, {
      email: 'Gone@Example.org',
      status: 'unsubscribed',
      consent_source: 'form',
      unsubscribed_at: new Date(),
    });
    const file = await csvFile('again.csv', 'email\ngone@example.org\nnew@example.org\n');
    const output = captureIo();
    await importSubscribersFile({ db: database.db }, { file }, output.io);

    expect(output.stdout()).toBe('imported 1, already known 1\n');
    expect(await findSubscriberByEmail(database.db, 'gone@example.org')).toMatchObject({
      email: 'Gone@Example.org',
      status: 'unsubscribed',
    });
  });

  it('exports every subscriber, and the export imports back into another database', async () => {
    const source = await csvFile(
      'source.csv',
      'email,cadence,keywords\nann@example.org,weekly,diffusion\nbob@example.org,daily,large language models;\n',
    );
    await importSubscribersFile({ db: database.db }, { file: source }, captureIo().io);
    await insertSubscriber(database.db, {
      email: 'gone@example.org',
      status: 'unsubscribed',
      consent_source: 'form',
      keywords: ['vision', 'robotics'],
      unsubscribed_at: new Date('2026-05-01T10:00:00Z'),
    });

    const exported = join(scratch, 'export.csv');
    const output = captureIo();
    expect(await exportSubscribers({ db: database.db }, { file: exported }, output.io)).toBe(3);
    expect(output.stdout()).toBe(`exported 3 subscribers to ${exported}\n`);
    const records = parse(await readFile(exported, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(records).toEqual([
      expect.objectContaining({
        email: 'ann@example.org',
        cadence: 'weekly',
        keywords: 'diffusion',
        status: 'active',
      }),
      expect.objectContaining({
        email: 'bob@example.org',
        keywords: 'large language models;',
        status: 'active',
      }),
      expect.objectContaining({
        email: 'gone@example.org',
        keywords: 'vision;robotics',
        status: 'unsubscribed',
        confirmed_at: '',
        unsubscribed_at: '2026-05-01T10:00:00.000Z',
      }),
    ]);

    const target = await createTestDatabase();
    try {
      const result = await importSubscribersFile({ db: target.db }, { file: exported }, captureIo().io);
      // The unsubscribed address is not brought back as an active subscriber.
      expect(result).toEqual({ imported: 2, alreadyKnown: 0, notActive: 1 });
      const copied = await allSubscribers(target.db);
      expect(copied.map(({ email, cadence, keywords }) => ({ email, cadence, keywords }))).toEqual([
        { email: 'ann@example.org', cadence: 'weekly', keywords: ['diffusion'] },
        { email: 'bob@example.org', cadence: 'daily', keywords: ['large language models'] },
      ]);
    } finally {
      await target.drop();
    }
  });

  it('streams the export to standard output when no file is given', async () => {
    const output = captureIo();
    expect(await exportSubscribers({ db: database.db }, {}, output.io)).toBe(0);
    expect(output.stdout()).toBe('email,cadence,keywords,status,confirmed_at,unsubscribed_at\n');
    expect(output.stderr()).toBe('exported 0 subscribers\n');
  });
});

describe('subscriber CSV', () => {
  it('requires an email column and names unknown ones', () => {
    expect(parseSubscriberCsv('name,mail\nann,ann@example.org\n', 'x.csv').problems).toEqual([
      'line 1: the header row must name an email column (found "name", "mail")',
      'line 1: unknown columns "name", "mail" (expected email, cadence, keywords)',
    ]);
    expect(() => parseSubscriberCsv('', 'empty.csv')).toThrow('empty.csv is empty');
    expect(() => parseSubscriberCsv('email\n"ann@example.org\n', 'open.csv')).toThrow(
      /^open.csv is not valid CSV/,
    );
  });

  it('splits keywords on ";" or, without one, on spaces, and joins them back losslessly', () => {
    expect(splitKeywords('llm agents')).toEqual(['llm', 'agents']);
    expect(splitKeywords('large language models; rl')).toEqual(['large language models', 'rl']);
    for (const keywords of [[], ['llm'], ['large language models'], ['large language models', 'rl']]) {
      expect(splitKeywords(joinKeywords(keywords)), JSON.stringify(keywords)).toEqual(keywords);
    }
  });
});
