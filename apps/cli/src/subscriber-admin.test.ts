import { AppError } from '@digest/core';
import { findSubscriberByEmail, insertSubscriber } from '@digest/db';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { UsageError } from './args.ts';
import {
  eraseSubscriberByEmail,
  listSubscribersPage,
  parseSubscribersEraseArgs,
  parseSubscribersListArgs,
} from './subscriber-admin.ts';
import { captureIo } from './testing.ts';

describe('subscribers list and erase', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
    for (const [email, status] of [
      ['ann@example.org', 'active'],
      ['bob@example.org', 'unsubscribed'],
      ['cy@example.org', 'active'],
    ] as const) {
      await insertSubscriber(database.db, { email, status, consent_source: 'form' });
    }
  });
  afterEach(() => database.drop());

  it('lists a page of subscribers, filtered by status', async () => {
    const output = captureIo();
    const listed = await listSubscribersPage(
      { db: database.db },
      parseSubscribersListArgs(['--status', 'active', '--limit', '1', '--offset', '1']),
      output.io,
    );
    expect(listed.map((row) => row.email)).toEqual(['cy@example.org']);
    expect(output.stdout()).toBe('cy@example.org  active  daily\n');
    expect(output.stderr()).toBe('1 subscriber from #2\n');
  });

  it('erases a subscriber, and says so when there is none', async () => {
    const output = captureIo();
    await eraseSubscriberByEmail(
      { db: database.db },
      parseSubscribersEraseArgs(['BOB@example.org']),
      output.io,
    );
    expect(output.stdout()).toBe('erased BOB@example.org and their delivery history\n');
    expect(await findSubscriberByEmail(database.db, 'bob@example.org')).toBeUndefined();
    await expect(
      eraseSubscriberByEmail({ db: database.db }, { email: 'bob@example.org' }, captureIo().io),
    ).rejects.toThrow(AppError);
  });

  it('checks its arguments', () => {
    expect(() => parseSubscribersListArgs(['--status', 'gone'])).toThrow(UsageError);
    expect(() => parseSubscribersListArgs(['--limit', '0'])).toThrow(
      '--limit "0": expected a whole number from 1 to 10000',
    );
    expect(() => parseSubscribersEraseArgs(['not-an-address'])).toThrow(UsageError);
    expect(() => parseSubscribersEraseArgs([])).toThrow('subscribers erase: missing <email>');
  });
});
