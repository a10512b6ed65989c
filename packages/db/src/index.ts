export { createDatabaseIfMissing, createDb, type Db } from './client.ts';
export * from './deliveries.ts';
export * from './issues.ts';
export { migrateToLatest } from './migrate.ts';
export * from './outbox.ts';
export * from './papers.ts';
export type * from './schema.ts';
export type { Page } from './search.ts';
export * from './subscribers.ts';
