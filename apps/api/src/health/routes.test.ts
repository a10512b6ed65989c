import { insertSubscriber } from '@digest/db';
import { buildIssue, importPapers } from '@digest/digest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture } from '../../../../test/support/fixtures.ts';
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

  it('exposes traffic by route pattern, queue depths and the progress of issues still sending', async () => {
    await importPapers(harness.resources.db, fixture('hf-daily-papers-sample.json'), { timeZone: 'UTC' });
    await insertSubscriber(harness.resources.db, {
      email: 'm@example.org',
      status: 'active',
      consent_source: 'api',
    });
    const { issue } = await buildIssue(harness.resources.digest, { cadence: 'daily', date: '2026-05-22' });
    await app.request('/confirm/not-a-token');
    const text = await (await app.request('/metrics')).text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/confirm\/:token",status="400"\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/confirm\/:token"\} 1/);
    expect(text).not.toContain('not-a-token');
    expect(text).toMatch(/digest_queue_jobs\{queue="send",state="waiting"\} [1-9]/);
    expect(text).toContain('digest_issue_deliveries{cadence="daily",date="2026-05-22",status="queued"} 1');
    expect(text).toContain('process_cpu_seconds_total');

    // A finished issue leaves the gauge instead of keeping its last value.
    await harness.resources.db
      .updateTable('issues')
      .set({ status: 'sent' })
      .where('id', '=', issue.id)
      .execute();
    expect(await (await app.request('/metrics')).text()).not.toContain('digest_issue_deliveries{');
  });

  it('asks for METRICS_TOKEN when one is set', async () => {
    const guarded = createApp({
      ...harness.resources,
      config: { ...harness.resources.config, METRICS_TOKEN: 'scrape-me' },
    });
    const refused = await guarded.request('/metrics');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    expect((await guarded.request('/metrics', { headers: { authorization: 'Bearer wrong' } })).status).toBe(
      401,
    );
    const allowed = await guarded.request('/metrics', { headers: { authorization: 'Bearer scrape-me' } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('http_requests_total');
    expect((await guarded.request('/healthz')).status).toBe(200);
  });
});
