import { createDb, migrateToLatest } from '@digest/db';
import type { TestProject } from 'vitest/node';
import { databaseUrl } from './env.ts';
import { adminQuery } from './postgres.ts';
import { missingServices } from './services.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

/** Migrates one template database per run; each test file clones it (see database.ts). */
export default async function setup(project: TestProject) {
  const missing = await missingServices();
  if (missing.length > 0) {
    // Before any test file starts: these lines, and nothing else, end the run.
    for (const line of missing) console.error(`\n${line}`);
    process.exit(1);
  }
  const template = `digest_template_${process.pid}`;
  await adminQuery(`drop database if exists ${template}`);
  await adminQuery(`create database ${template}`);
  const db = createDb(databaseUrl(template), { max: 1 });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  project.provide('templateDatabase', template);

  return async () => {
    await adminQuery(`drop database if exists ${template} with (force)`);
  };
}
