import { createDatabaseIfMissing, migrateToLatest } from '@digest/db';
import type { Resources } from '@digest/runtime';
import { expectPositionals, parseCommandArgs } from './args.ts';
import { type Io, println } from './io.ts';

export function parseMigrateArgs(args: string[]): Record<string, never> {
  const { positionals } = parseCommandArgs('migrate', { args, allowPositionals: true });
  expectPositionals('migrate', positionals, []);
  return {};
}

/** Creates the database when the server lacks it, then applies every pending migration. */
export async function migrate(
  resources: { db: Resources['db']; config: Pick<Resources['config'], 'DATABASE_URL'> },
  io: Io,
): Promise<void> {
  if (await createDatabaseIfMissing(resources.config.DATABASE_URL)) {
    println(io.stdout, `created database ${new URL(resources.config.DATABASE_URL).pathname.slice(1)}`);
  }
  const { results = [] } = await migrateToLatest(resources.db);
  const applied = results.filter((result) => result.status === 'Success');
  if (applied.length === 0) println(io.stdout, 'database is up to date');
  for (const result of applied) println(io.stdout, `applied ${result.migrationName}`);
}
