import { insertSubscriber } from '@digest/db';
import { buildIssue } from '@digest/digest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture } from '../../../../test/support/fixtures.ts';
import { type Harness, openHarness, TEST_ADMIN_TOKEN } from '../../../../test/support/harness.ts';
import { createApp } from '../app.ts';

let harness: Harness;
let app: ReturnType<typeof createApp>;

beforeEach(async () => {
  harness = await openHarness();
  app = createApp(harness.resources);
});

afterEach(() => harness.close());

const admin = (path: string, init: RequestInit = {}, token = TEST_ADMIN_TOKEN) =>
  app.request(`/api/admin${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });

describe('admin API', () => {
  it('refuses requests without the right bearer token', async () => {
    for (const token of ['', 'wrong', `${TEST_ADMIN_TOKEN}x`, `${TEST_ADMIN_TOKEN} trailing`]) {
      const response = await admin('/subscribers', {}, token);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    expect((await app.request('/api/admin/subscribers')).status).toBe(401);
  });

  it('imports papers, reporting rejected records, and re-imports without duplicates', async () => {
    const body = JSON.stringify(fixture('daily-papers.json'));
    expect(body.length).toBeGreaterThan(64 * 1024);
    const first = await admin('/papers', { method: 'POST', body });
    expect(first.status).toBe(200);
    const result = (await first.json()) as {
      inserted: number;
      rejected: { index: number; reason: string }[];
    };
    expect(result.inserted).toBe(44);
    expect(result.rejected).toHaveLength(2);

    const again = (await (await admin('/papers', { method: 'POST', body })).json()) as {
      inserted: number;
      updated: number;
    };
    expect(again).toMatchObject({ inserted: 0, updated: 44 });

    expect((await admin('/papers', { method: 'POST', body: '{"not":"an array"}' })).status).toBe(400);
    expect((await admin('/papers', { method: 'POST', body: 'not json' })).status).toBe(400);
  });

  it('queues a digest build and reports an issue with its delivery counts', async () => {
    const trigger = await admin('/digests', { method: 'POST', body: JSON.stringify({ date: '2026-05-22' }) });
    expect(trigger.status).toBe(202);
    expect(await trigger.json()).toMatchObject({ date: '2026-05-22', cadence: 'daily', status: 'queued' });
    expect(
      (await admin('/digests', { method: 'POST', body: JSON.stringify({ date: '2026-02-30' }) })).status,
    ).toBe(400);

    await admin('/papers', { method: 'POST', body: JSON.stringify(fixture('hf-daily-papers-sample.json')) });
    await insertSubscriber(harness.resources.db, {
      email: 'a@example.org',
      status: 'active',
      consent_source: 'import',
    });
    await buildIssue(harness.resources.digest, { cadence: 'daily', date: '2026-05-22' });

    const report = await admin('/digests/2026-05-22?deliveries=1');
    expect(report.status).toBe(200);
    const body = (await report.json()) as {
      papers: unknown[];
      deliveries: Record<string, number>;
      recipients: unknown[];
    };
    expect(body.papers).toHaveLength(5);
    expect(body.deliveries).toMatchObject({ queued: 1, total: 1 });
    expect(body.recipients).toEqual([expect.objectContaining({ email: 'a@example.org', status: 'queued' })]);

    expect((await admin('/digests/2026-05-21')).status).toBe(404);
    expect((await admin('/digests/yesterday')).status).toBe(400);
  });

  it('refuses a resend naming an unknown address and queues nothing', async () => {
    await admin('/papers', { method: 'POST', body: JSON.stringify(fixture('hf-daily-papers-sample.json')) });
    await buildIssue(harness.resources.digest, { cadence: 'daily', date: '2026-05-22' });
    const response = await admin('/digests/2026-05-22/resend', {
      method: 'POST',
      body: JSON.stringify({ emails: ['nobody@example.org'] }),
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      /nobody@example.org/,
    );
  });

  it('resends nothing without saying to whom, and pauses, resumes and cancels an issue', async () => {
    await admin('/papers', { method: 'POST', body: JSON.stringify(fixture('hf-daily-papers-sample.json')) });
    await insertSubscriber(harness.resources.db, {
      email: 'a@example.org',
      status: 'active',
      consent_source: 'form',
    });
    await buildIssue(harness.resources.digest, { cadence: 'daily', date: '2026-05-22' });
    const post = (path: string, body: unknown = {}) =>
      admin(`/digests/2026-05-22${path}`, { method: 'POST', body: JSON.stringify(body) });

    for (const body of [{}, { failedOnly: true, all: true }, { failedOnly: false }]) {
      expect((await post('/resend', body)).status).toBe(400);
    }
    expect(await (await post('/pause')).json()).toMatchObject({ status: 'paused', skipped: 0 });
    expect((await post('/pause')).status).toBe(409);
    expect(await (await post('/resume')).json()).toMatchObject({ status: 'sending' });
    expect(await (await post('/cancel')).json()).toMatchObject({ status: 'cancelled', skipped: 1 });
    const report = (await (await admin('/digests/2026-05-22')).json()) as {
      status: string;
      deliveries: object;
    };
    expect(report).toMatchObject({ status: 'cancelled', deliveries: { skipped: 1, queued: 0 } });
    expect((await post('/pause', { cadence: 'hourly' })).status).toBe(400);
    expect((await admin('/digests/2026-05-21/pause', { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('lists and erases subscribers', async () => {
    await insertSubscriber(harness.resources.db, {
      email: 'Erase@Example.org',
      status: 'active',
      consent_source: 'form',
    });
    const list = (await (await admin('/subscribers')).json()) as {
      subscribers: { email: string; status: string }[];
    };
    expect(list.subscribers).toEqual([
      expect.objectContaining({ email: 'Erase@Example.org', status: 'active', cadence: 'daily' }),
    ]);
    expect((await admin('/subscribers/erase%40example.org', { method: 'DELETE' })).status).toBe(204);
    expect((await admin('/subscribers/erase%40example.org', { method: 'DELETE' })).status).toBe(404);
  });
});
