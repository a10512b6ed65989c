import { insertSubscriber } from '@digest/db';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, openHarness } from '../../../../test/support/harness.ts';
import { createApp } from '../app.ts';

let harness: Harness;
let app: ReturnType<typeof createApp>;

beforeEach(async () => {
  harness = await openHarness();
  app = createApp(harness.resources);
});

afterEach(() => harness.close());

describe('health and metrics', () => {
  it('is alive, and ready when Postgres and Redis answer', async () => {
    expect(await (await app.request('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok' });
  });

  it('exposes traffic by route pattern, subscribers, deliveries and queue depths', async () => {
    await insertSubscriber(harness.resources.db, {
      email: 'm@example.org',
      status: 'active',
      consent_source: 'api',
    });
    await app.request('/confirm/not-a-token');
    const text = await (await app.request('/metrics')).text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/confirm\/:token",status="400"\} 1/);
    expect(text).not.toContain('not-a-token');
    expect(text).toMatch(/digest_subscribers\{status="active"\} 1/);
    expect(text).toMatch(/digest_queue_jobs\{queue="send",state="waiting"\} 0/);
    expect(text).toContain('process_cpu_seconds_total');
  });
});
