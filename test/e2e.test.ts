import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { TEST_REDIS_URL } from './support/env.ts';
import { fixture, hfTitlesByUpvotes } from './support/fixtures.ts';
import { eventually, freePort, type RunningProcess, startScript } from './support/processes.ts';
import { testQueuePrefix } from './support/redis.ts';
import { type CapturedMail, startTestSmtpServer, type TestSmtpServer } from './support/smtp.ts';

const ADMIN_TOKEN = 'e2e-admin-token';
const TOKEN_SECRET = 'an-e2e-token-secret-that-is-long-enough';
let database: TestDatabase;
let smtp: TestSmtpServer;
let queue: ReturnType<typeof testQueuePrefix>;
let api: RunningProcess;
let worker: RunningProcess;
let baseUrl: string;
let workerMetricsUrl: string;

/** One series of the worker's own /metrics. */
async function workerMetric(series: string): Promise<number> {
  const text = await (await fetch(workerMetricsUrl)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no ${series} in the worker's metrics:\n${text}`);
  return Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  database = await createTestDatabase();
  smtp = await startTestSmtpServer();
  queue = testQueuePrefix();
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  workerMetricsUrl = `http://127.0.0.1:${await freePort()}/metrics`;
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: queue.prefix,
    SMTP_URL: smtp.url,
    PORT: String(port),
    METRICS_PORT: new URL(workerMetricsUrl).port,
    PUBLIC_BASE_URL: baseUrl,
    MAIL_FROM: 'Daily Papers <digest@papers.test>',
    ADMIN_TOKEN,
    TOKEN_SECRET,
    // Everything the services log, so the run can be checked for secrets.
    LOG_LEVEL: 'debug',
  };
  api = startScript('start:api', env);
  worker = startScript('start:worker', env);
  await eventually(
    async () => ((await fetch(`${baseUrl}/readyz`)).ok ? true : undefined),
    30_000,
    'the API to be ready',
  );
}, 60_000);

afterAll(async () => {
  const codes = await Promise.all([api?.stop(), worker?.stop()]);
  await smtp?.close();
  await queue?.cleanup();
  await database?.drop();
  // SIGTERM to `pnpm start:*` reaches the service, whose graceful shutdown ends with 0.
  expect(codes, `api:\n${api?.output()}\nworker:\n${worker?.output()}`).toEqual([0, 0]);
});

const admin = (path: string, body?: unknown) =>
  fetch(`${baseUrl}/api/admin${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

async function subscriberStatus(email: string): Promise<string | undefined> {
  const { subscribers } = (await (await admin('/subscribers')).json()) as {
    subscribers: { email: string; status: string }[];
  };
  return subscribers.find((subscriber) => subscriber.email === email)?.status;
}

function mailsTo(email: string): CapturedMail[] {
  return smtp.messages.filter((mail) => mail.envelopeTo.includes(email));
}

async function nextMailTo(email: string, already: number): Promise<CapturedMail> {
  return eventually(async () => mailsTo(email)[already], 20_000, `mail #${already + 1} to ${email}`);
}

function link(mail: CapturedMail, path: string): string {
  const match = new RegExp(`${baseUrl.replace(/[.:/]/g, '\\$&')}/${path}/[\\w.-]+`).exec(
    mail.parsed.text ?? '',
  );
  if (!match) throw new Error(`no /${path}/ link in:\n${mail.parsed.text}`);
  return match[0];
}

async function subscribeAndConfirm(email: string): Promise<void> {
  const response = await fetch(`${baseUrl}/api/subscribe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  expect(response.status).toBe(202);
  const confirmation = await nextMailTo(email, 0);
  const confirmUrl = link(confirmation, 'confirm');

  // A mail scanner following the link changes nothing.
  const page = await fetch(confirmUrl);
  expect(page.status).toBe(200);
  expect(await page.text()).toMatch(/<form method="post"/);
  expect(await subscriberStatus(email)).toBe('pending');

  expect((await fetch(confirmUrl, { method: 'POST' })).status).toBe(200);
  expect(await subscriberStatus(email)).toBe('active');
}

async function sendDigest(date: string) {
  expect((await admin('/digests', { date })).status).toBe(202);
  return eventually(
    async () => {
      const response = await admin(`/digests/${date}`);
      if (!response.ok) return undefined;
      const report = (await response.json()) as { status: string; deliveries: Record<string, number> };
      return report.status === 'sent' ? report : undefined;
    },
    30_000,
    `the ${date} issue to be sent`,
  );
}

describe('end to end: real API and worker processes, Postgres, Redis and SMTP', () => {
  it('walks from import to signup, digest and one-click unsubscribe', async () => {
    const imported = await admin('/papers', fixture('hf-daily-papers-sample.json'));
    expect(await imported.json()).toMatchObject({ inserted: 15, rejected: [] });

    await subscribeAndConfirm('reader@example.org');
    await subscribeAndConfirm('other@example.org');
    const before = mailsTo('reader@example.org').length;
    const sentBefore = await workerMetric('digest_deliveries_total{status="sent"}');

    const report = await sendDigest('2026-05-22');
    expect(report.deliveries).toMatchObject({ sent: 2, failed: 0, queued: 0 });
    // Counted by the worker as it sent, not read back from the database.
    expect(await workerMetric('digest_deliveries_total{status="sent"}')).toBe(sentBefore + 2);
    expect(await workerMetric('digest_smtp_replies_total{class="2xx"}')).toBeGreaterThanOrEqual(2);
    expect(await workerMetric('digest_jobs_total{queue="send",result="completed"}')).toBeGreaterThanOrEqual(
      1,
    );
    const digest = await nextMailTo('reader@example.org', before);

    const titles = hfTitlesByUpvotes('2026-05-22');
    const html = digest.parsed.html as string;
    const text = digest.parsed.text as string;
    const inHtml = titles.map((title) => html.indexOf(title));
    const inText = titles.map((title) => text.indexOf(title));
    expect(inHtml.every((at) => at >= 0) && inText.every((at) => at >= 0)).toBe(true);
    expect([...inHtml].sort((a, b) => a - b)).toEqual(inHtml);
    expect([...inText].sort((a, b) => a - b)).toEqual(inText);

    const listUnsubscribe = digest.header('List-Unsubscribe') ?? '';
    expect(listUnsubscribe).toMatch(
      new RegExp(`^<${baseUrl.replace(/[.:/]/g, '\\$&')}/unsubscribe/[\\w.-]+>$`),
    );
    expect(digest.header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');

    // What a mail provider does for RFC 8058: a bare POST, no cookie, no Origin.
    const oneClick = await fetch(listUnsubscribe.slice(1, -1), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
      redirect: 'manual',
    });
    expect(oneClick.status).toBe(200);
    expect(await subscriberStatus('reader@example.org')).toBe('unsubscribed');

    const afterUnsubscribe = mailsTo('reader@example.org').length;
    const otherBefore = mailsTo('other@example.org').length;
    const next = await sendDigest('2026-05-23');
    expect(next.deliveries).toMatchObject({ sent: 1 });
    await nextMailTo('other@example.org', otherBefore);
    expect(mailsTo('reader@example.org')).toHaveLength(afterUnsubscribe);

    const archive = await fetch(`${baseUrl}/archive/2026-05-22`);
    expect(archive.status).toBe(200);
    expect(await archive.text()).toContain(titles[0]!.replace(/&/g, '&amp;'));
  });

  it('logs request ids, and no token or secret', async () => {
    const response = await fetch(`${baseUrl}/healthz`, { headers: { 'x-request-id': 'e2e-request-1' } });
    expect(response.headers.get('x-request-id')).toBe('e2e-request-1');
    const logs = `${api.output()}\n${worker.output()}`;
    await eventually(async () => (api.output().includes('"reqId":"e2e-request-1"') ? true : undefined));
    // The worker names each job with the ids it carried.
    expect(worker.output()).toMatch(
      /"queue":"send","job":"send-issue","jobId":"[^"]+","attempts":1,"issueId":\d+/,
    );

    // Every token the run handed out: in the links of every mail sent.
    const tokens = smtp.messages.flatMap((mail) =>
      [...(mail.parsed.text ?? '').matchAll(/\/(?:confirm|unsubscribe|preferences)\/([\w.-]{16,})/g)].map(
        (match) => match[1] as string,
      ),
    );
    expect(tokens.length).toBeGreaterThan(3);
    for (const secret of [ADMIN_TOKEN, TOKEN_SECRET, ...tokens]) expect(logs).not.toContain(secret);
  });
});
