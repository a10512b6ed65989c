import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { insertSubscribersWithMail } from './outbox.ts';
import { insertSubscriber } from './subscribers.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(() => database.drop());

const signup = (email: string) => ({ email, status: 'pending' as const, consent_source: 'api' as const });

describe('insertSubscribersWithMail', () => {
  it('inserts each new address with its mail in one statement; known and repeated ones get none', async () => {
    const { db } = database;
    const known = await insertSubscriber(db, { ...signup('known@example.org'), status: 'active' });
    const ids = await insertSubscribersWithMail(
      db,
      [
        signup('a@example.org'),
        signup('KNOWN@example.org'),
        signup('b@example.org'),
        signup('A@Example.org'),
      ],
      'confirmation',
    );
    expect(ids.map((id) => typeof id)).toEqual(['number', 'undefined', 'number', 'undefined']);

    const mail = await db
      .selectFrom('outbox')
      .innerJoin('subscribers', 'subscribers.id', 'outbox.subscriber_id')
      .select(['outbox.id', 'outbox.kind', 'subscribers.email'])
      .orderBy('outbox.id')
      .execute();
    expect(mail).toEqual([
      { id: ids[0], kind: 'confirmation', email: 'a@example.org' },
      { id: ids[2], kind: 'confirmation', email: 'b@example.org' },
    ]);
    expect(
      await db.selectFrom('subscribers').selectAll().where('id', '=', known.id).executeTakeFirst(),
    ).toEqual(known);
  });
});
