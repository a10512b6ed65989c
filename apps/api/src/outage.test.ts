import { once } from 'node:events';
import { findSubscriberByEmail, insertSubscriber } from '@digest/db';
import { confirmUrl } from '@digest/subscribers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, openHarness, TEST_ADMIN_TOKEN } from '../../../test/support/harness.ts';
import { freePort } from '../../../test/support/processes.ts';
import { startTestRedisServer, type TestRedisServer } from '../../../test/support/redis-server.ts';
import { createApp } from './app.ts';

const OUTAGE_ANSWER_MS = 2_000;

let redisServer: TestRedisServer;
let harness: Harness;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  redisServer = await startTestRedisServer();
  harness = await openHarness({ REDIS_URL: redisServer.url }, { serving: true });
  app = createApp(harness.resources);
});

afterAll(async () => {
  await harness.close();
  await redisServer.stop();
});

const signup = (email: string) =>
  app.request('/api/subscribe', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });

/** The answer and how long it took. */
async function timed(request: Response | Promise<Response>) {
  const started = performance.now();
  const response = await request;
  return { response, ms: performance.now() - started };
}

async function expectUnavailable(request: Response | Promise<Response>) {
  const { response, ms } = await timed(request);
  expect(ms).toBeLessThan(OUTAGE_ANSWER_MS);
  expect(response.status).toBe(503);
  // JSON for API clients, a page for people (the confirm button).
  if (response.headers.get('content-type')?.startsWith('application/json')) {
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unavailable');
  } else {
    expect(await response.text()).toContain('nothing was changed');
  }
}

describe('the API while Redis is down', () => {
  it('answers 503 JSON within 2 s, changes nothing, and recovers when Redis is back', async () => {
    const { db, redis, tokens } = harness.resources;
    if (redis.status !== 'ready') await once(redis, 'ready');
    expect((await signup('before@example.org')).status).toBe(202);
    const pending = await insertSubscriber(db, { email: 'pending@example.org', consent_source: 'api' });
    const confirmPath = new URL(confirmUrl('http://digest.test', tokens, pending.id)).pathname;

    const closed = once(redis, 'close');
    await redisServer.stop();
    await closed;

    // The API's own connection fails a command at once, rather than queue it to run after the outage.
    const ping = await timed(
      redis
        .ping()
        .then(() => new Response('answered'))
        .catch(() => new Response('refused')),
    );
    expect(await ping.response.text()).toBe('refused');
    expect(ping.ms).toBeLessThan(500);
    await expectUnavailable(signup('during@example.org'));
    await expectUnavailable(app.request(confirmPath, { method: 'POST' }));
    await expectUnavailable(
      app.request('/api/admin/digests', {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ date: '2026-05-22' }),
      }),
    );
    expect(await findSubscriberByEmail(db, 'during@example.org')).toBeUndefined();
    expect((await findSubscriberByEmail(db, 'pending@example.org'))?.status).toBe('pending');

    const { response: notReady, ms } = await timed(app.request('/readyz'));
    expect(ms).toBeLessThan(OUTAGE_ANSWER_MS + 500);
    expect(notReady.status).toBe(503);
    const body = await notReady.text();
    expect(JSON.parse(body)).toEqual({ status: 'unavailable', postgres: 'ok', redis: 'unavailable' });
    expect(body).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|\d{4,5}/);

    const ready = once(redis, 'ready');
    await redisServer.start();
    await ready;
    expect((await signup('after@example.org')).status).toBe(202);
    expect((await app.request(confirmPath, { method: 'POST' })).status).toBe(200);
    expect((await app.request('/readyz')).status).toBe(200);
  });
});

describe('the API while Postgres is unreachable', () => {
  it('answers 503 JSON within 2 s on public and admin routes', async () => {
    const port = await freePort();
    const away = await openHarness(
      { REDIS_URL: redisServer.url, DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/digest` },
      { serving: true },
    );
    const awayApp = createApp(away.resources);
    try {
      await expectUnavailable(
        awayApp.request('/api/subscribe', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'pg-down@example.org' }),
        }),
      );
      await expectUnavailable(
        awayApp.request('/api/admin/subscribers', {
          headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
        }),
      );
      const archive = await timed(awayApp.request('/archive/2026-05-22'));
      expect(archive.ms).toBeLessThan(OUTAGE_ANSWER_MS);
      expect(archive.response.status).toBe(503);
    } finally {
      await away.close();
    }
  });
});
