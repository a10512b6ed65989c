import { type Config, loadConfig } from '@digest/config';
import { openResources, type Resources } from '@digest/runtime';

/** Sending contexts over a harness's resources, as the worker builds them. */
export { senders } from '@digest/runtime';

import { createTestDatabase, type TestDatabase } from './database.ts';
import { TEST_REDIS_URL } from './env.ts';
import { testQueuePrefix } from './redis.ts';
import { startTestSmtpServer, type TestSmtpServer } from './smtp.ts';

export const TEST_ADMIN_TOKEN = 'test-admin-token';

export interface Harness {
  database: TestDatabase;
  smtp: TestSmtpServer;
  config: Config;
  resources: Resources;
  close(): Promise<void>;
}

/**
 * Everything a service-level test needs, all real: its own database, its own queue prefix on
 * the shared Redis, and an SMTP server capturing mail.
 */
export async function openHarness(
  env: Record<string, string> = {},
  options: { serving?: boolean } = {},
): Promise<Harness> {
  const database = await createTestDatabase();
  const smtp = await startTestSmtpServer();
  const queue = testQueuePrefix();
  const config = loadConfig(
    {
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      SMTP_URL: smtp.url,
      PUBLIC_BASE_URL: 'http://digest.test',
      MAIL_FROM: 'Daily Papers <digest@digest.test>',
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      TOKEN_SECRET: 'test-secret-test-secret-test-secret',
      LOG_LEVEL: 'silent',
      QUEUE_PREFIX: queue.prefix,
      ...env,
    },
    () => {},
  );
  const resources = openResources(config, 'test', options);
  return {
    database,
    smtp,
    config,
    resources,
    async close() {
      await resources.close();
      await smtp.close();
      await queue.cleanup();
      await database.drop();
    },
  };
}
